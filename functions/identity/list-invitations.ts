import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { peopleContext } from './people-context.js';
import { invitationMessage } from './people-wire.js';

/** An organization's invitations, pending, expired and accepted (not revoked ones), newest first; never their tokens. */
export default defineGrpcFunction({
  method: IdentityService.listInvitations,
  operatorOnly: true,
  context: peopleContext,
  async handle(request, { people }) {
    const invitations = await people.listInvitations(requireUuid('organization_id', request.organizationId));
    return { invitations: invitations.map(invitationMessage) };
  },
});
