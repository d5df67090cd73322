/**
 * What Identity's people functions share in one process: users, invitations
 * and sessions over one pool, with the session settings. Apart from
 * `identityContext`, so a bundle of an API-key function carries no Argon2.
 */
import { defineServiceContext } from '../../shared/runtime/index.js';
import { IdentityStore, PeopleService, PeopleStore, SessionService, SignInLimits } from './domain/index.js';

export const peopleContext = defineServiceContext({
  service: 'identity',
  create(runtime) {
    const store = new PeopleStore(runtime.database());
    const organizations = new IdentityStore(runtime.database());
    const limits = new SignInLimits(store);
    const { sessionSecret: secret, accessTokenSeconds, refreshTokenDays } = runtime.config;
    const sessions = new SessionService(store, organizations, limits, { secret, accessTokenSeconds, refreshTokenDays });
    return { people: new PeopleService(store, organizations, sessions, limits), sessions, adminToken: runtime.config.adminToken };
  },
  ready: ({ people }) => people.ready(),
});
