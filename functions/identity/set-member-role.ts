import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSetMemberRole } from './domain/index.js';
import { peopleContext } from './people-context.js';
import { memberMessage, roleName } from './people-wire.js';

/** Sets a member's role; demoting the organization's last OWNER is refused (FAILED_PRECONDITION). */
export default defineGrpcFunction({
  method: IdentityService.setMemberRole,
  operatorOnly: true,
  context: peopleContext,
  async handle(request, { people }) {
    const member = await people.setMemberRole(validateSetMemberRole({ ...request, role: roleName(request.role) }));
    return { member: memberMessage(member) };
  },
  audit: (request, response) => ({
    action: 'member.set_role',
    target: `user:${response.member?.user?.id}`,
    organizationId: request.organizationId.toLowerCase(),
  }),
});
