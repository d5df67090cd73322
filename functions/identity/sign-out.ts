import { IdentityService, type SignOutResponse } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSignOut } from './domain/index.js';
import { peopleContext } from './people-context.js';
import { AuditFacts } from './people-audit.js';

const signedOut = new AuditFacts<SignOutResponse, { id: string; userId: string; orgId: string }>();

/** Ends the refresh token's session, or with `everywhere` every session of its user. */
export default defineGrpcFunction({
  method: IdentityService.signOut,
  context: peopleContext,
  async handle(request, { sessions }) {
    const { sessionsRevoked, session } = await sessions.signOut(validateSignOut(request));
    const response = { sessionsRevoked };
    return session ? signedOut.attach(response, session) : response;
  },
  audit(_request, response) {
    const session = signedOut.of(response);
    if (!session || response.sessionsRevoked === 0) return undefined;
    return { action: 'session.sign_out', target: `session:${session.id}`, organizationId: session.orgId, actor: `user:${session.userId}` };
  },
});
