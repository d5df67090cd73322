/**
 * What the gateway holds: gRPC clients for every service, the API-key,
 * session and organization caches and the JWT verifier. No database
 * connection: every field is an RPC.
 */
import { IdentityService, type Organization } from '../../proto/gen/polaris/identity/v1/identity.js';
import { ExpiringCache } from '../../shared/expiring-cache.js';
import { rateLimiterFrom } from '../../shared/rate-limiter.js';
import { defineServiceContext } from '../../shared/runtime/index.js';
import { gatewayAuthFrom, operatorMetadataOf } from './auth.js';

export const gatewayContext = defineServiceContext({
  service: 'gateway',
  create(runtime) {
    const { config, clients } = runtime;
    // The gateway decides who may call what; RPCs that only the operator may
    // make carry the operator token on the caller's behalf.
    const operatorMetadata = operatorMetadataOf(config);
    // An organization never changes once created (Identity has no RPC that
    // would), so `me` and a JWT's subject are answered from here for as long
    // as an API key is, rather than with a GetOrganization per request.
    const organizations = new ExpiringCache<string, Organization>({ maxEntries: 10_000 });
    const organization = (organizationId: string) =>
      organizations.get(
        organizationId,
        async () => (await clients.call(IdentityService.getOrganization, { organizationId })).organization!,
        () => config.apiKeyCacheSeconds * 1000,
      );
    const auth = gatewayAuthFrom(config, clients, async (organizationId) => {
      await organization(organizationId);
    });
    return { clients, auth, organization, operatorMetadata, logger: runtime.logger, rateLimiter: rateLimiterFrom(config), maxQueryCost: config.graphqlMaxCost };
  },
});

export type GatewayContext = Awaited<ReturnType<(typeof gatewayContext)['create']>>;
