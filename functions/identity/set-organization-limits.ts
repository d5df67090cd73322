import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSetOrganizationLimits } from './domain/index.js';
import { identityContext } from './context.js';
import { organizationMessage } from './wire.js';

/**
 * Operator: an organization's own limits, replacing those it had (each left
 * 0 takes the deployment's default). Ingest and the gateway apply them
 * within the API-key cache's time, as they would a revoked key.
 */
export default defineGrpcFunction({
  method: IdentityService.setOrganizationLimits,
  operatorOnly: true,
  context: identityContext,
  async handle(request, identity) {
    const organization = await identity.setOrganizationLimits(validateSetOrganizationLimits(request));
    return { organization: organizationMessage(organization) };
  },
  audit: (_request, response) => ({ action: 'organization.set_limits', target: `organization:${response.organization!.id}`, organizationId: response.organization!.id }),
});
