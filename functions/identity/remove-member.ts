import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateMember } from './domain/index.js';
import { peopleContext } from './people-context.js';

/**
 * Removes a member, ending their sessions in the organization; removing the
 * last OWNER is refused (FAILED_PRECONDITION). `removed` is false for a user
 * who was not a member.
 */
export default defineGrpcFunction({
  method: IdentityService.removeMember,
  operatorOnly: true,
  context: peopleContext,
  async handle(request, { people }) {
    return { removed: await people.removeMember(validateMember(request)) };
  },
  audit: (request, response) =>
    response.removed
      ? { action: 'member.remove', target: `user:${request.userId.toLowerCase()}`, organizationId: request.organizationId.toLowerCase() }
      : undefined,
});
