/**
 * What the gateway holds: gRPC clients for every service, the API-key,
 * session and organization caches and the JWT verifier. No database
 * connection: every field is an RPC.
 */
import { IdentityService, type Organization } from '../../proto/gen/polaris/identity/v1/identity.js';
import { ExpiringCache } from '../../shared/expiring-cache.js';
import { organizationRateLimiterFrom, overridesFromMessage } from '../../shared/rate-limits/index.js';
import { defineServiceContext } from '../../shared/runtime/index.js';
import { gatewayAuthFrom, operatorMetadataOf } from './auth.js';

export const gatewayContext = defineServiceContext({
  service: 'gateway',
  create(runtime) {
    const { config, clients } = runtime;
    // The gateway decides who may call what; RPCs that only the operator may
    // make carry the operator token on the caller's behalf.
    const operatorMetadata = operatorMetadataOf(config);
    // An organization's name and ids never change once created, and its
    // limits show as a key's do: `me` and a JWT's subject are answered from
    // here for as long as an API key is, rather than with a GetOrganization
    // per request.
    const organizations = new ExpiringCache<string, Organization>({ maxEntries: 10_000 });
    const organization = (organizationId: string) =>
      organizations.get(
        organizationId,
        async () => (await clients.call(IdentityService.getOrganization, { organizationId })).organization!,
        () => config.apiKeyCacheSeconds * 1000,
      );
    const auth = gatewayAuthFrom(config, clients, async (organizationId) => overridesFromMessage((await organization(organizationId)).limits));
    // The limits' shared buckets are the gateway's only use of the database: one statement per lease of tokens.
    const rateLimiter = organizationRateLimiterFrom(config, () => runtime.database(), { logger: runtime.logger, metrics: runtime.metrics });
    return { clients, auth, organization, forgetOrganization: (id: string) => organizations.delete(id), operatorMetadata, logger: runtime.logger, rateLimiter, maxQueryCost: config.graphqlMaxCost };
  },
});

export type GatewayContext = Awaited<ReturnType<(typeof gatewayContext)['create']>>;
