import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { identityContext } from './context.js';
import { apiKeyMessage } from './wire.js';

/** One key by its id, never its secret: the gateway checks its organization before a tenant revokes it. */
export default defineGrpcFunction({
  method: IdentityService.getApiKey,
  operatorOnly: true,
  context: identityContext,
  async handle(request, identity) {
    return { apiKey: apiKeyMessage(await identity.getApiKey(requireUuid('api_key_id', request.apiKeyId))) };
  },
});
