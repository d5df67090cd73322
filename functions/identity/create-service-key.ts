import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateCreateServiceKey } from './domain/index.js';
import { identityContext } from './context.js';

/** Operator: a key with INGEST_ANY and no organization, returned once; each event it sends names its organization. */
export default defineGrpcFunction({
  method: IdentityService.createServiceKey,
  operatorOnly: true,
  context: identityContext,
  async handle(request, identity) {
    const key = await identity.createServiceKey(validateCreateServiceKey(request).name);
    return { apiKeyId: key.id, apiKey: key.apiKey };
  },
  audit: (_request, response) => ({ action: 'service_key.create', target: `api_key:${response.apiKeyId}` }),
});
