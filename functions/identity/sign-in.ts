import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSignIn } from './domain/index.js';
import { peopleContext } from './people-context.js';
import { sessionAudit } from './people-audit.js';
import { sessionMessage } from './people-wire.js';

/**
 * Email and password to a session for one of the user's organizations. An
 * unknown email and a wrong password answer alike, in the same time; a locked
 * account or address answers RESOURCE_EXHAUSTED with `retry-after`.
 */
export default defineGrpcFunction({
  method: IdentityService.signIn,
  context: peopleContext,
  async handle(request, { sessions }) {
    return sessionMessage(await sessions.signIn(validateSignIn(request)));
  },
  audit: (_request, response) => sessionAudit('session.sign_in', response),
});
