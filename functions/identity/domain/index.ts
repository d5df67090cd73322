/** Identity's domain, as its functions and the migrator use it. */
export { IdentityService, ApiKeyStatus, type NewApiKey } from './service.js';
export { IdentityStore, type Organization, type ApiKeyRecord } from './store.js';
export { validateCreateApiKey, validateCreateOrganization, validateCreateServiceKey, validateOrganizationReference } from './inputs.js';
export { ApiKeyScope } from './api-key.js';
export { identityMigrations } from './migrations.js';
