import type { FastifyRequest } from 'fastify';
import { ApiKeyScope, type Tenant } from '../../shared/grpc/index.js';
import { ForbiddenError } from '../../shared/errors.js';
import { acceptedRateLimitHeaders, RateLimitName, type LimitState } from '../../shared/rate-limits/index.js';
import { defineHttpFunction, maxBodyBytes } from '../../shared/runtime/index.js';
import { usageContext } from './context.js';
import type { OrganizationItem } from './domain/index.js';
import { decodeIngestRequest, ingestResponse, registerIngestParsers } from './ingest-body.js';
import { assignOrganizations } from './ingest-organizations.js';

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The request limit as a request's admission left it, for its answer's RateLimit headers. */
const admitted = new WeakMap<FastifyRequest, LimitState | undefined>();

/**
 * `POST /ingest` with `X-API-Key` (INGEST, or a service key's INGEST_ANY):
 * one event, an array, or CloudEvents. A 2xx answer means the events are
 * committed, whichever organizations they are for.
 *
 * Each organization's limits apply (shared/rate-limits/): its requests before
 * the body is read, its events once they are counted and before anything is
 * written. A service key's request takes one request and its events from
 * each organization it names. A refused request answers 429 and stores nothing;
 * an accepted one from one organization's key says in its RateLimit headers
 * what both limits have left. While other organizations use the pod, an
 * organization's requests beyond its share in flight wait their turn
 * (shared/rate-limits/in-flight-shares.ts).
 */
export default defineHttpFunction({
  context: usageContext,
  routes(app, { usage, authenticator, organizations, rateLimiter }) {
    registerIngestParsers(app);
    app.post(
      '/ingest',
      {
        bodyLimit: maxBodyBytes,
        // Before the body is read: a flood's refusals cost no parsing. The
        // key's answer is cached, so this costs no RPC; a bad key is answered
        // by the handler, as without a limit. An admitted request then waits
        // for its organization's share of the pod's requests in flight, its
        // body still unread.
        onRequest: async (request, reply) => {
          if (!rateLimiter) return;
          const tenant = await authenticator.authenticate(header(request.headers['x-api-key']), { serviceKeys: true }).catch(() => undefined);
          if (!tenant || tenant.service) return;
          admitted.set(request, await rateLimiter.take(tenant.organizationId, tenant.limits, RateLimitName.IngestRequests));
          await rateLimiter.waitForShare(reply.raw, tenant.organizationId, tenant.limits, RateLimitName.IngestRequests);
        },
      },
      async (request, reply) => {
        const tenant = await authenticator.authenticate(header(request.headers['x-api-key']), { serviceKeys: true });
        if (!tenant.service && !tenant.scopes.includes(ApiKeyScope.Ingest)) {
          throw new ForbiddenError('this API key may not send usage: it lacks the INGEST scope', 'FORBIDDEN');
        }
        const decoded = decodeIngestRequest(request.headers['content-type'], request.body, header(request.headers['idempotency-key']));
        const items = await assignOrganizations(tenant, decoded, organizations);
        const events = rateLimiter ? await takeEvents(tenant, items) : undefined;
        const outcomes = await usage.recordEach(items, decoded.names);
        const { status, body } = ingestResponse(decoded.batch, outcomes);
        if (!tenant.service) reply.headers(acceptedRateLimitHeaders([admitted.get(request), events]));
        return reply.code(status).send(body);
      },
    );

    /**
     * Takes each organization's events (and, for a service key, its request)
     * from its limits; returns the events limit as left, for a key of one
     * organization.
     */
    async function takeEvents(tenant: Tenant, items: readonly OrganizationItem[]): Promise<LimitState | undefined> {
      const eventsByOrganization = new Map<string, number>();
      for (const item of items) if ('orgId' in item) eventsByOrganization.set(item.orgId, (eventsByOrganization.get(item.orgId) ?? 0) + 1);
      let left: LimitState | undefined;
      for (const [organizationId, events] of eventsByOrganization) {
        // A service key's organizations were resolved (and cached) by assignOrganizations.
        const limits = tenant.service ? (await organizations.resolve(organizationId))?.limits : tenant.limits;
        if (tenant.service) await rateLimiter!.take(organizationId, limits, RateLimitName.IngestRequests);
        left = await rateLimiter!.take(organizationId, limits, RateLimitName.IngestEvents, events);
      }
      // A service key's request may span organizations: no one organization's headers describe it.
      return tenant.service ? undefined : left;
    }
  },
});
