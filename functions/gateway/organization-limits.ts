/**
 * Each organization's GraphQL limit, taken before the request is parsed: a
 * refused request costs an authentication from the cache and a look at the
 * pod's lease, and answers HTTP 429 with a GraphQL error RATE_LIMITED (as a
 * locked-out sign-in does), `Retry-After` and the RateLimit headers. The
 * operator is not limited, nor is a request without credentials (it can only
 * sign in, which Identity limits on its own).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { httpStatusByKind, RateLimitedError } from '../../shared/errors.js';
import { RateLimitName, rateLimitHeaders } from '../../shared/rate-limits/index.js';
import type { Caller } from './auth.js';
import type { GatewayContext } from './context.js';
import { formatError } from './errors.js';

/**
 * What one GraphQL request costs against the organization's
 * `graphql-cost` limit. One per request for now: the gateway's query cost
 * model provides the per-document cost, and replaces this.
 */
export function graphqlRequestCost(): number {
  return 1;
}

// The caller, authenticated once per request: by the limit's hook, then by the fields that need it.
const callers = new WeakMap<FastifyRequest, Promise<Caller | undefined>>();

/** The request's caller, worked out on first need and kept for the rest of the request. */
export function requestCaller(request: FastifyRequest, gateway: GatewayContext): Promise<Caller | undefined> {
  let caller = callers.get(request);
  if (!caller) {
    caller = gateway.auth.authenticate(request.headers);
    callers.set(request, caller);
  }
  return caller;
}

/** Adds the hook that takes each tenant request's cost from its organization's limit. */
export function limitGraphqlPerOrganization(app: FastifyInstance, gateway: GatewayContext): void {
  const limiter = gateway.rateLimiter;
  if (!limiter) return;
  app.addHook('preHandler', async (request, reply) => {
    if (request.routeOptions.url !== '/graphql') return;
    // Bad credentials are answered by the fields that need a caller, as without a limit.
    const caller = await requestCaller(request, gateway).catch(() => undefined);
    if (caller?.kind !== 'tenant') return;
    try {
      await limiter.take(caller.organizationId, caller.limits, RateLimitName.GraphqlCost, graphqlRequestCost());
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      const error = formatError(new GraphQLError(err.message, { originalError: err }), gateway.logger);
      return reply.code(httpStatusByKind[err.kind]).headers(rateLimitHeaders(err)).send({ data: null, errors: [error] });
    }
  });
}
