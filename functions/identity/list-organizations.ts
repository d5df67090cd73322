import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { identityContext } from './context.js';
import { organizationMessage } from './wire.js';

/** Operator: every organization, oldest first. */
export default defineGrpcFunction({
  method: IdentityService.listOrganizations,
  operatorOnly: true,
  context: identityContext,
  async handle(_request, identity) {
    return { organizations: (await identity.listOrganizations()).map(organizationMessage) };
  },
});
