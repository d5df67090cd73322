import { IdentityService, Role } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { peopleContext } from './people-context.js';
import { roleMessage } from './people-wire.js';
import { limitsMessage } from './wire.js';

/** Whether an access token's session (`sid`) still stands, and the user's role in its organization now. */
export default defineGrpcFunction({
  method: IdentityService.validateSession,
  context: peopleContext,
  async handle(request, { sessions }) {
    const session = await sessions.validate(requireUuid('session_id', request.sessionId));
    return {
      active: session.active,
      userId: session.userId ?? '',
      organizationId: session.organizationId ?? '',
      role: session.role ? roleMessage(session.role) : Role.ROLE_UNSPECIFIED,
      limits: session.limits && limitsMessage(session.limits),
    };
  },
});
