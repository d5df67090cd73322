import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateOrganizationReference } from './domain/index.js';
import { identityContext } from './context.js';
import { organizationMessage } from './wire.js';

/** An organization by its id or its externalId, as a service key's events name it; NOT_FOUND when neither matches. */
export default defineGrpcFunction({
  method: IdentityService.resolveOrganization,
  context: identityContext,
  async handle(request, identity) {
    const organization = await identity.resolveOrganization(validateOrganizationReference(request.reference));
    return { organization: organizationMessage(organization) };
  },
});
