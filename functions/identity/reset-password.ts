import { IdentityService, type ResetPasswordResponse } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateResetPassword } from './domain/index.js';
import { peopleContext } from './people-context.js';
import { AuditFacts } from './people-audit.js';

const resetOf = new AuditFacts<ResetPasswordResponse, { userId: string }>();

/** Sets a password with a reset token, once; every session of the user ends. */
export default defineGrpcFunction({
  method: IdentityService.resetPassword,
  context: peopleContext,
  async handle(request, { people }) {
    const { userId } = await people.resetPassword(validateResetPassword(request));
    return resetOf.attach({}, { userId });
  },
  audit(_request, response) {
    const userId = resetOf.of(response)?.userId;
    return { action: 'password.reset', target: `user:${userId}`, actor: `user:${userId}` };
  },
});
