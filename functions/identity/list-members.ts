import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { peopleContext } from './people-context.js';
import { memberMessage } from './people-wire.js';

/** An organization's members with their roles, longest-standing first. */
export default defineGrpcFunction({
  method: IdentityService.listMembers,
  operatorOnly: true,
  context: peopleContext,
  async handle(request, { people }) {
    const members = await people.listMembers(requireUuid('organization_id', request.organizationId));
    return { members: members.map(memberMessage) };
  },
});
