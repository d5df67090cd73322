import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateRefreshSession } from './domain/index.js';
import { peopleContext } from './people-context.js';
import { sessionMessage } from './people-wire.js';

/**
 * Spends a refresh token for the session's next one and a new access token,
 * optionally switching to another of the user's organizations. A token used
 * twice revokes its session. Not audited: a session refreshes every few
 * minutes, and its start and end are recorded.
 */
export default defineGrpcFunction({
  method: IdentityService.refreshSession,
  context: peopleContext,
  async handle(request, { sessions }) {
    return sessionMessage(await sessions.refresh(validateRefreshSession(request)));
  },
});
