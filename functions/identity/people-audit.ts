/** The audit entries of people's functions, from their requests and answers. */
import type { SessionResponse } from '../../proto/gen/polaris/identity/v1/identity.js';
import type { AuditRecord } from '../../shared/runtime/index.js';

/**
 * What a mutation's audit entry needs but its answer does not carry (the
 * session a refresh token belonged to, the user a reset token was for), kept
 * beside the answer object until the runtime writes the entry. Never secrets.
 */
export class AuditFacts<Res extends object, Facts> {
  private readonly facts = new WeakMap<Res, Facts>();

  attach(response: Res, facts: Facts): Res {
    this.facts.set(response, facts);
    return response;
  }

  of(response: Res): Facts | undefined {
    return this.facts.get(response);
  }
}

/** A session started: the user acts, on the session, in its organization. */
export function sessionAudit(action: string, response: SessionResponse, target = `session:${response.sessionId}`): AuditRecord {
  return { action, target, organizationId: response.organization?.id, actor: `user:${response.user?.id}` };
}
