import { IdentityService, type SessionResponse } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateAcceptInvitation } from './domain/index.js';
import { peopleContext } from './people-context.js';
import { AuditFacts, sessionAudit } from './people-audit.js';
import { sessionMessage } from './people-wire.js';

const accepted = new AuditFacts<SessionResponse, { invitationId: string }>();

/**
 * Accepts an invitation, once: a new user sets their password and name, an
 * existing one gives their password. Answers a session for the organization.
 */
export default defineGrpcFunction({
  method: IdentityService.acceptInvitation,
  context: peopleContext,
  async handle(request, { people }) {
    const session = await people.acceptInvitation(validateAcceptInvitation(request));
    return accepted.attach(sessionMessage(session), { invitationId: session.invitationId });
  },
  audit: (_request, response) => sessionAudit('invitation.accept', response, `invitation:${accepted.of(response)?.invitationId}`),
});
