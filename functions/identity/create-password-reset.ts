import { IdentityService, type CreatePasswordResetResponse } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateCreatePasswordReset } from './domain/index.js';
import { peopleContext } from './people-context.js';
import { AuditFacts } from './people-audit.js';

const resetFor = new AuditFacts<CreatePasswordResetResponse, { userId: string }>();

/**
 * Operator: a one-time token (an hour) with which the user of an email sets a
 * new password. Polaris sends no mail: the operator passes the link on.
 */
export default defineGrpcFunction({
  method: IdentityService.createPasswordReset,
  operatorOnly: true,
  context: peopleContext,
  async handle(request, { people }) {
    const reset = await people.createPasswordReset(validateCreatePasswordReset(request).email);
    return resetFor.attach({ token: reset.token, expiresAt: reset.expiresAt.toISOString() }, { userId: reset.userId });
  },
  audit: (_request, response) => ({ action: 'password.reset_create', target: `user:${resetFor.of(response)?.userId}` }),
});
