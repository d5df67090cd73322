import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateChangePassword } from './domain/index.js';
import { peopleContext } from './people-context.js';

/** Sets a new password once the current one is given; every other session of the user ends. */
export default defineGrpcFunction({
  method: IdentityService.changePassword,
  context: peopleContext,
  async handle(request, { people }) {
    await people.changePassword(validateChangePassword(request));
    return {};
  },
  audit: (request) => ({ action: 'password.change', target: `user:${request.userId.toLowerCase()}` }),
});
