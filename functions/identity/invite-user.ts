import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { actorOf } from '../../shared/audit/index.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateInviteUser } from './domain/index.js';
import { peopleContext } from './people-context.js';
import { invitationMessage, roleName } from './people-wire.js';

/**
 * Invites an email to an organization with a role: a one-time token (7 days),
 * returned once. An email that is a member already is refused (`email`).
 */
export default defineGrpcFunction({
  method: IdentityService.inviteUser,
  operatorOnly: true,
  context: peopleContext,
  async handle(request, { people, adminToken }, metadata) {
    const input = validateInviteUser({ ...request, role: roleName(request.role) });
    const { invitation, token } = await people.invite(input, actorOf(metadata, adminToken));
    return { invitation: invitationMessage(invitation), token };
  },
  audit: (_request, response) => ({
    action: 'user.invite',
    target: `invitation:${response.invitation?.id}`,
    organizationId: response.invitation?.organizationId,
  }),
});
