import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateOidcSignIn } from './domain/index.js';
import { peopleContext } from './people-context.js';
import { sessionAudit } from './people-audit.js';
import { sessionMessage } from './people-wire.js';

/**
 * A session for the user an identity provider vouched for (the caller, the
 * OIDC function, has checked the provider's ID token). Refuses unverified
 * emails; makes no user without an invitation to the email.
 */
export default defineGrpcFunction({
  method: IdentityService.signInWithOidc,
  context: peopleContext,
  async handle(request, { sessions }) {
    return sessionMessage(await sessions.signInWithOidc(validateOidcSignIn(request)));
  },
  audit: (_request, response) => sessionAudit('session.sign_in', response),
});
