/**
 * Each organization's GraphQL limit, taken before the request is parsed: a
 * refused request costs an authentication from the cache and a look at the
 * pod's lease, and answers HTTP 429 with a GraphQL error RATE_LIMITED (as a
 * locked-out sign-in does), `Retry-After` and the RateLimit headers; an
 * accepted one carries the RateLimit headers of what its cost left. The
 * operator is not limited, nor is a request without credentials (it can only
 * sign in, which Identity limits on its own). An admitted request waits for
 * its organization's share of the pod's requests in flight
 * (shared/rate-limits/in-flight-shares.ts) before it is parsed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { preExecutionHookHandler } from 'mercurius';
import { GraphQLError } from 'graphql';
import { httpStatusByKind, RateLimitedError, withoutStack } from '../../shared/errors.js';
import { acceptedRateLimitHeaders, RateLimitName, rateLimitHeaders } from '../../shared/rate-limits/index.js';
import type { Caller } from './auth.js';
import type { GatewayContext } from './context.js';
import { formatError } from './errors.js';
import type { RequestContext } from './request.js';

/**
 * What admission takes from the organization's `graphql-cost` limit before
 * the request is parsed: the least any request costs. The rest of its cost
 * (functions/gateway/cost.ts) is taken once it is known, before any resolver.
 */
const admissionCost = 1;

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
      // Replaced by the charge's once the whole cost is taken (a request costing 1 keeps these).
      reply.headers(acceptedRateLimitHeaders([await limiter.take(caller.organizationId, caller.limits, RateLimitName.GraphqlCost, admissionCost)]));
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      const error = formatError(withoutStack(() => new GraphQLError(err.message, { originalError: err })), gateway.logger);
      return reply.code(httpStatusByKind[err.kind]).headers(rateLimitHeaders(err)).send({ data: null, errors: [error] });
    }
    await limiter.waitForShare(reply.raw, caller.organizationId, caller.limits, RateLimitName.GraphqlCost);
  });
}

/**
 * A preExecution hook, after the cost is known: takes what the request costs
 * beyond its admission. A refusal is HTTP 429 (the error formatter's answer to
 * a RATE_LIMITED request) with the same headers, before any resolver runs.
 */
export function chargeGraphqlCost(gateway: GatewayContext): preExecutionHookHandler {
  return async (_schema, _document, context) => {
    const limiter = gateway.rateLimiter;
    const remaining = ((context as unknown as RequestContext).cost?.requested ?? 0) - admissionCost;
    if (!limiter || remaining <= 0) return;
    const caller = await requestCaller(context.reply.request, gateway).catch(() => undefined);
    if (caller?.kind !== 'tenant') return;
    try {
      context.reply.headers(acceptedRateLimitHeaders([await limiter.take(caller.organizationId, caller.limits, RateLimitName.GraphqlCost, remaining)]));
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      // The refusal's headers take the place of admission's.
      context.reply.headers(rateLimitHeaders(err));
      throw withoutStack(() => new GraphQLError(err.message, { originalError: err }));
    }
  };
}
