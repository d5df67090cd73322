import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { identityContext } from './context.js';

/** Operator: revokes a key; callers' caches drop it within their TTL (60 s at most). */
export default defineGrpcFunction({
  method: IdentityService.revokeApiKey,
  operatorOnly: true,
  context: identityContext,
  async handle(request, identity) {
    return { revoked: await identity.revokeApiKey(requireUuid('api_key_id', request.apiKeyId)) };
  },
});
