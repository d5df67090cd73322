import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { identityContext } from './context.js';
import { apiKeyMessage } from './wire.js';

/** Operator: an organization's keys, by prefix; never the secrets. */
export default defineGrpcFunction({
  method: IdentityService.listApiKeys,
  operatorOnly: true,
  context: identityContext,
  async handle(request, identity) {
    const keys = await identity.listApiKeys(requireUuid('organization_id', request.organizationId));
    return { apiKeys: keys.map(apiKeyMessage) };
  },
});
