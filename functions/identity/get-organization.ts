import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { identityContext } from './context.js';
import { organizationMessage } from './wire.js';

export default defineGrpcFunction({
  method: IdentityService.getOrganization,
  context: identityContext,
  async handle(request, identity) {
    const organization = await identity.getOrganization(requireUuid('organization_id', request.organizationId));
    return { organization: organizationMessage(organization) };
  },
});
