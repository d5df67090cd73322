import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { peopleContext } from './people-context.js';
import { roleMessage, userMessage } from './people-wire.js';
import { organizationMessage } from './wire.js';

/** A user and their memberships, oldest first. */
export default defineGrpcFunction({
  method: IdentityService.getUser,
  operatorOnly: true,
  context: peopleContext,
  async handle(request, { people }) {
    const { user, memberships } = await people.getUser(requireUuid('user_id', request.userId));
    return {
      user: userMessage(user),
      memberships: memberships.map(({ organization, role }) => ({ organization: organizationMessage(organization), role: roleMessage(role) })),
    };
  },
});
