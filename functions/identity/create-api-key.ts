import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateCreateApiKey } from './domain/index.js';
import { identityContext } from './context.js';

/**
 * A new key for an organization, returned once: named, with some of INGEST,
 * READ and MANAGE (all three when none are given), expiring when asked.
 * The gateway lets the operator and the organization's managers call it.
 */
export default defineGrpcFunction({
  method: IdentityService.createApiKey,
  operatorOnly: true,
  context: identityContext,
  async handle(request, identity) {
    const key = await identity.createApiKey(validateCreateApiKey(request, new Date()));
    return { apiKeyId: key.id, apiKey: key.apiKey };
  },
  audit: (request, response) => ({
    action: 'api_key.create',
    target: `api_key:${response.apiKeyId}`,
    organizationId: request.organizationId.toLowerCase(),
  }),
});
