import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { identityContext } from './context.js';

/** Operator: a new key for an organization, returned once. */
export default defineGrpcFunction({
  method: IdentityService.createApiKey,
  operatorOnly: true,
  context: identityContext,
  async handle(request, identity) {
    const key = await identity.createApiKey(requireUuid('organization_id', request.organizationId));
    return { apiKeyId: key.id, apiKey: key.apiKey };
  },
});
