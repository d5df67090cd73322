import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { peopleContext } from './people-context.js';

/** Revokes an invitation not yet accepted; `revoked` is false when it was accepted or revoked before. */
export default defineGrpcFunction({
  method: IdentityService.revokeInvitation,
  operatorOnly: true,
  context: peopleContext,
  async handle(request, { people }) {
    return people.revokeInvitation(requireUuid('invitation_id', request.invitationId));
  },
  audit: (request, response) =>
    response.revoked
      ? { action: 'invitation.revoke', target: `invitation:${request.invitationId.toLowerCase()}`, organizationId: response.organizationId }
      : undefined,
});
