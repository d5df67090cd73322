/** What Identity's functions share in one process: the service over one pool. */
import { defineServiceContext } from '../../shared/runtime/index.js';
import { IdentityService, IdentityStore } from './domain/index.js';

export const identityContext = defineServiceContext({
  service: 'identity',
  create: (runtime) => new IdentityService(new IdentityStore(runtime.database()), { logger: runtime.logger }),
  ready: (identity) => identity.ready(),
});
