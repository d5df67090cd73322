import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateCreateOrganization } from './domain/index.js';
import { identityContext } from './context.js';
import { organizationMessage } from './wire.js';

/** Operator: creates an organization with its first API key, returned once. */
export default defineGrpcFunction({
  method: IdentityService.createOrganization,
  operatorOnly: true,
  context: identityContext,
  async handle(request, identity) {
    const { organization, apiKey } = await identity.createOrganization(validateCreateOrganization(request));
    return { organization: organizationMessage(organization), apiKey: apiKey.apiKey, apiKeyId: apiKey.id };
  },
  audit: (_request, response) => ({
    action: 'organization.create',
    target: `organization:${response.organization!.id}`,
    organizationId: response.organization!.id,
  }),
});
