/**
 * What the gateway holds: gRPC clients for every service, the API-key cache
 * and the JWT verifier. No database connection: every field is an RPC.
 */
import { Metadata } from '@grpc/grpc-js';
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { ApiKeyAuthenticator } from '../../shared/grpc/api-key-authenticator.js';
import { rateLimiterFrom } from '../../shared/rate-limiter.js';
import { defineServiceContext } from '../../shared/runtime/function.js';
import { GatewayAuth } from './auth.js';

export const gatewayContext = defineServiceContext({
  service: 'gateway',
  create(runtime) {
    const { config, clients } = runtime;
    // The gateway decides who may call what; RPCs that only the operator may
    // make carry the operator token on the caller's behalf.
    const operatorMetadata = new Metadata();
    if (config.adminToken) operatorMetadata.set('authorization', `Bearer ${config.adminToken}`);
    const auth = new GatewayAuth({
      apiKeys: new ApiKeyAuthenticator(clients, {
        ttlSeconds: config.apiKeyCacheSeconds,
        negativeTtlSeconds: config.apiKeyNegativeCacheSeconds,
      }),
      adminToken: config.adminToken,
      jwtSecret: config.jwtSecret,
      requireOrganization: async (organizationId) => {
        await clients.call(IdentityService.getOrganization, { organizationId });
      },
    });
    return { clients, auth, operatorMetadata, logger: runtime.logger, rateLimiter: rateLimiterFrom(config) };
  },
});

export type GatewayContext = Awaited<ReturnType<(typeof gatewayContext)['create']>>;
