import type { FastifyRequest } from 'fastify';
import mercurius from 'mercurius';
import { GraphQLError } from 'graphql';
import { defineHttpFunction } from '../../shared/runtime/index.js';
import { gatewayContext, type GatewayContext } from './context.js';
import { clientAddress } from '../../shared/client-address.js';
import { refuseCostlyRequests } from './cost.js';
import { formatError, isGraphqlError, isRequestError, requestError, type FormattedError } from './errors.js';
import { fieldCountRule, graphqlLimits } from './limits.js';
import { serveGraphiql } from './graphiql.js';
import { dedupeQueryRpcs } from './query-rpcs.js';
import { chargeGraphqlCost, limitGraphqlPerOrganization, requestCaller } from './organization-limits.js';
import type { Caller } from './auth.js';
import type { RequestContext, RequestCost } from './request.js';
import { resolvers } from './resolvers.js';
import { builtSchema } from './schema.js';

const graphqlPath = '/graphql';

/**
 * The public GraphQL gateway: `POST /graphql` and GraphiQL at `/graphiql`.
 * Tenants send `X-API-Key`, a session's access token or a JWT; the operator
 * sends the admin token.
 */
export default defineHttpFunction({
  context: gatewayContext,
  async routes(app, gateway) {
    // Each organization's limit, before any work.
    limitGraphqlPerOrganization(app, gateway);
    await app.register(mercurius, {
      // The schema the gateway's own checks use: Mercurius adds the resolvers to it rather than building it again.
      schema: builtSchema,
      resolvers: resolvers as never,
      path: graphqlPath,
      // GraphiQL is served below, without Mercurius's static-file server (see graphiql.ts).
      graphiql: false,
      queryDepth: graphqlLimits.depth,
      // A query seen once is compiled to JavaScript (graphql-jit) and runs as that from then on.
      jit: 1,
      validationRules: [fieldCountRule],
      context: (request): RequestContext => new GraphqlRequestContext(gateway, request),
      errorFormatter: (execution) => {
        const errors = execution.errors.flatMap((error) => {
          // Mercurius wraps a document's validation errors in one error.
          const inner = (error.originalError as { errors?: unknown } | undefined)?.errors;
          return Array.isArray(inner) ? inner.map((e) => (isGraphqlError(e) ? e : new GraphQLError(String((e as Error).message)))) : [error];
        });
        const formatted = errors.map((error) => formatError(error, gateway.logger));
        return { statusCode: execution.data ? 200 : requestStatus(formatted), response: { data: execution.data ?? null, errors: formatted } as never };
      },
    });
    serveGraphiql(app, graphqlPath);
    app.graphql.addHook('preParsing', async (_schema, source) => {
      if (source.length > graphqlLimits.queryLength) {
        throw requestError(`query is longer than ${graphqlLimits.queryLength} characters`);
      }
      // Mercurius would take a JSON document AST here too; Polaris takes GraphQL text only.
      if (isJson(source)) throw requestError('query must be GraphQL text');
    });
    // After validation, before any resolver: the cost (on the context from here on) against the request's
    // limit and its organization's, then one call per distinct RPC.
    app.graphql.addHook('preExecution', refuseCostlyRequests(gateway.maxQueryCost));
    app.graphql.addHook('preExecution', chargeGraphqlCost(gateway));
    app.graphql.addHook('preExecution', dedupeQueryRpcs);
  },
});

/**
 * A JSON text starts with `{"`, `{}`, `[`, `"`, a number, `true`, `false` or
 * `null`; GraphQL text never does (a selection set opens with a name or `...`),
 * so ordinary queries skip JSON.parse and the SyntaxError it would throw on
 * each (some 40 µs of CPU per request).
 */
const jsonStart = /^\s*(?:\{\s*["}]|[["\d-]|true|false|null)/;

function isJson(text: string): boolean {
  if (!jsonStart.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A refused request's status: 429 when its organization's limit refused it before any field ran, 400 for a bad document. */
function requestStatus(errors: readonly FormattedError[]): number {
  if (errors.length > 0 && errors.every((e) => e.extensions.code === 'RATE_LIMITED' && !e.path)) return 429;
  return isRequestError(errors) ? 400 : 200;
}

/**
 * A GraphQL request's context. A class, so that its two methods live on one
 * prototype rather than being two closures named for each request (see
 * "keepNames" in scripts/bench/LOG.md).
 */
class GraphqlRequestContext implements RequestContext {
  cost?: RequestCost;
  private readonly peer: string | undefined;
  private readonly forwardedFor: string | string[] | undefined;
  private address: string | undefined;

  constructor(
    readonly gateway: GatewayContext,
    private readonly request: FastifyRequest,
  ) {
    this.peer = request.socket.remoteAddress;
    this.forwardedFor = request.headers['x-forwarded-for'];
  }

  caller(): Promise<Caller | undefined> {
    return requestCaller(this.request, this.gateway);
  }

  /** Worked out for the mutations and sign-ins that record it, not for every query (some 30 µs each). */
  clientAddress(): string {
    return (this.address ??= clientAddress(this.peer, this.forwardedFor));
  }
}
