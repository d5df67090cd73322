/**
 * gRPC between functions: clients that find each RPC's function, the API-key
 * check every tenant-facing function makes, error mapping, health and names.
 */
export { GrpcClients, type GrpcClientsOptions } from './clients.js';
export { ApiKeyAuthenticator, ApiKeyScope, type ApiKeyAuthenticatorOptions, type Tenant } from './api-key-authenticator.js';
export { OrganizationResolver, type OrganizationResolverOptions, type ResolvedOrganization } from './organization-resolver.js';
export { toGrpcStatus } from './errors.js';
export { HealthService } from './health.js';
export { functionNameForRpc, serviceNameForRpc } from './names.js';
