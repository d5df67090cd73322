import mercurius from 'mercurius';
import { GraphQLError } from 'graphql';
import { defineHttpFunction } from '../../shared/runtime/index.js';
import { gatewayContext } from './context.js';
import { clientAddress } from '../../shared/client-address.js';
import { formatError, isGraphqlError, isRequestError, requestError } from './errors.js';
import { fieldCountRule, graphqlLimits } from './limits.js';
import { limitGraphqlPerOrganization, requestCaller } from './organization-limits.js';
import { resolvers, type RequestContext } from './resolvers.js';
import { schema } from './schema.js';

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
      schema,
      resolvers: resolvers as never,
      path: '/graphql',
      graphiql: true,
      queryDepth: graphqlLimits.depth,
      validationRules: [fieldCountRule],
      context: (request): RequestContext => {
        return {
          gateway,
          caller: () => requestCaller(request, gateway),
          clientAddress: clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for']),
        };
      },
      errorFormatter: (execution) => {
        const errors = execution.errors.flatMap((error) => {
          // Mercurius wraps a document's validation errors in one error.
          const inner = (error.originalError as { errors?: unknown } | undefined)?.errors;
          return Array.isArray(inner) ? inner.map((e) => (isGraphqlError(e) ? e : new GraphQLError(String((e as Error).message)))) : [error];
        });
        const formatted = errors.map((error) => formatError(error, gateway.logger));
        return { statusCode: !execution.data && isRequestError(formatted) ? 400 : 200, response: { data: execution.data ?? null, errors: formatted } as never };
      },
    });
    app.graphql.addHook('preParsing', async (_schema, source) => {
      if (source.length > graphqlLimits.queryLength) {
        throw requestError(`query is longer than ${graphqlLimits.queryLength} characters`);
      }
      // Mercurius would take a JSON document AST here too; Polaris takes GraphQL text only.
      if (isJson(source)) throw requestError('query must be GraphQL text');
    });
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
