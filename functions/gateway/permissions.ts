/**
 * What each kind of credential may do within its organization (README, People
 * and access): roles and API key scopes become permissions, and every field
 * asks for one (functions/gateway/access.ts). Identity's RPCs trust the
 * gateway: it is here, and only here, that a role or a scope means something.
 */
import { Role } from '../../proto/gen/polaris/identity/v1/identity.js';

/**
 * - `read`: queries about the organization (me, usage, meters, invoices, plans, terms, usage alerts, entitlements).
 * - `ingest`: recordUsage and POST /ingest.
 * - `manage`: the organization's API keys, usage alerts and webhook endpoints.
 * - `people`: invitations, members and the audit log, for roles below OWNER.
 * - `own`: grant, remove or invite an OWNER; anything in the organization.
 */
export type Permission = 'read' | 'ingest' | 'manage' | 'people' | 'own';

export const roleNames = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const;
export type RoleName = (typeof roleNames)[number];

export const permissionsByRole: Record<RoleName, readonly Permission[]> = {
  OWNER: ['read', 'ingest', 'manage', 'people', 'own'],
  ADMIN: ['read', 'ingest', 'manage', 'people'],
  MEMBER: ['read', 'ingest'],
  VIEWER: ['read'],
};

export const apiKeyScopes = ['INGEST', 'READ', 'MANAGE', 'INGEST_ANY'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];
/** The scopes an organization's key may have; INGEST_ANY is a service key's alone. */
export type OrganizationKeyScope = Exclude<ApiKeyScope, 'INGEST_ANY'>;

export const permissionByScope: Record<OrganizationKeyScope, Permission> = { INGEST: 'ingest', READ: 'read', MANAGE: 'manage' };

/** A new key's scopes when none are asked for, and those of keys made before scopes existed. */
export const defaultScopes: readonly OrganizationKeyScope[] = ['INGEST', 'READ', 'MANAGE'];

/** The service key's one scope: POST /ingest for any organization the event names. */
export const serviceScope = 'INGEST_ANY' satisfies ApiKeyScope;

/** JWTs minted outside Polaris were full tenants before roles existed, and stay so. */
export const outsideTokenPermissions: readonly Permission[] = ['read', 'ingest', 'manage'];

export function isOrganizationKeyScope(scope: string): scope is OrganizationKeyScope {
  return Object.hasOwn(permissionByScope, scope);
}

export function permissionsOfScopes(scopes: readonly string[]): Permission[] {
  return scopes.filter(isOrganizationKeyScope).map((scope) => permissionByScope[scope]);
}

const rolePrefix = 'ROLE_';

/** `Role.ROLE_ADMIN` → `ADMIN`; undefined for ROLE_UNSPECIFIED and values this build does not know. */
export function roleName(role: Role): RoleName | undefined {
  const name = Role[role]?.slice(rolePrefix.length);
  return (roleNames as readonly string[]).includes(name ?? '') ? (name as RoleName) : undefined;
}

/** `ADMIN` → `Role.ROLE_ADMIN`. */
export function roleValue(name: RoleName): Role {
  return Role[`${rolePrefix}${name}`];
}
