/** Identity's domain, as its functions and the migrator use it. */
export { IdentityService, ApiKeyStatus, type NewApiKey } from './service.js';
export { IdentityStore, type Organization, type ApiKeyRecord } from './store.js';
export { validateCreateApiKey, validateCreateOrganization, validateCreateServiceKey, validateOrganizationReference, validateSetOrganizationLimits } from './inputs.js';
export { ApiKeyScope } from './api-key.js';
export { identityMigrations } from './migrations.js';
export { PeopleService, type UserWithMemberships, type NewInvitation, type NewPasswordReset } from './people.js';
export { SessionService, type SessionSettings, type SignedInSession, type SessionValidation, type SignOutResult } from './sessions.js';
export { PeopleStore, type User, type InvitationRecord, type MemberRecord } from './people-store.js';
export { SignInLimits } from './sign-in-limits.js';
export * from './people-inputs.js';
