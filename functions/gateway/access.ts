/**
 * Who may use which field: one rule per field of Query, Mutation and
 * Organization, all in `fieldAccess` below, applied before any resolver runs
 * (`guardResolvers`). The gateway refuses to start when a field of the schema
 * has no rule, so no field is added without deciding who may use it.
 *
 * The permissions a caller holds come from its role, its key's scopes or its
 * kind of token (functions/gateway/permissions.ts). A few rules go further
 * than one permission and are checked in their resolvers, with the helpers
 * at the end of this file: only an OWNER makes, invites or removes an OWNER,
 * a caller grants a new key only scopes it has itself, and a key, an
 * invitation or a webhook endpoint of another organization is NOT_FOUND
 * rather than FORBIDDEN, so ids do not tell what exists.
 */
import { isObjectType, type GraphQLSchema } from 'graphql';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../../shared/errors.js';
import { isUuid } from '../../shared/validation.js';
import type { Caller, SessionCaller, TenantCaller } from './auth.js';
import { isOrganizationKeyScope, permissionByScope, type ApiKeyScope, type Permission, type RoleName } from './permissions.js';
import type { RequestContext } from './request.js';

/** Where a field finds the organization it is about. */
type OrganizationSource =
  /** The caller's own. */
  | 'caller'
  /** The parent Organization's id. */
  | 'parent'
  /** An ID argument; left out (when it may be), the caller's own. */
  | { argument: string };

export type Rule =
  /** Anyone, with or without credentials; the credentials are not even looked at. */
  | { who: 'anyone' }
  /** No rule of its own: whoever reached the parent object may read this. */
  | { who: 'as-parent' }
  | { who: 'operator' }
  /** A tenant holding one of `permissions` in its own organization; the operator has none (it uses organization(id)). */
  | { who: 'tenant'; permissions: readonly Permission[] }
  /** The operator, or a tenant holding `permission` in the organization the field is about. */
  | { who: 'organization'; permission: Permission; organization: OrganizationSource }
  /** Any caller but an anonymous one or a service key; the field answers per kind of caller. */
  | { who: 'caller' }
  /** A signed-in user (a session's access token). */
  | { who: 'user' };

const anyone: Rule = { who: 'anyone' };
const asParent: Rule = { who: 'as-parent' };
const operatorOnly: Rule = { who: 'operator' };
const anyCaller: Rule = { who: 'caller' };
const signedInUser: Rule = { who: 'user' };
const ownOrganization = (...permissions: Permission[]): Rule => ({ who: 'tenant', permissions });
const inOrganization = (permission: Permission, organization: OrganizationSource = 'caller'): Rule => ({ who: 'organization', permission, organization });
const organizationArgument = { argument: 'organizationId' };

export const fieldAccess = {
  Query: {
    // read, or manage: a MANAGE key reaches its organization's keys through me.
    me: ownOrganization('read', 'manage'),
    usage: ownOrganization('read'),
    meters: inOrganization('read'),
    usageStorage: operatorOnly,
    invoices: ownOrganization('read'),
    usageAlerts: ownOrganization('read'),
    entitlement: ownOrganization('read'),
    organizations: operatorOnly,
    organization: operatorOnly,
    // null and [] for callers that are not a signed-in user.
    viewer: anyCaller,
    memberships: anyCaller,
    // The operator: every organization's when organizationId is left out.
    auditLog: inOrganization('people', organizationArgument),
    // The operator: every endpoint when organizationId is left out.
    webhookEndpoints: inOrganization('manage', organizationArgument),
    // An endpoint of another organization is NOT_FOUND.
    webhookDeliveries: inOrganization('manage'),
  },
  Organization: {
    id: asParent,
    name: asParent,
    createdAt: asParent,
    externalId: asParent,
    usage: inOrganization('read', 'parent'),
    invoices: inOrganization('read', 'parent'),
    plans: inOrganization('read', 'parent'),
    planHistory: operatorOnly,
    billingTerms: inOrganization('read', 'parent'),
    apiKeys: inOrganization('manage', 'parent'),
    members: inOrganization('people', 'parent'),
    invitations: inOrganization('people', 'parent'),
    usageAlerts: inOrganization('read', 'parent'),
    entitlements: inOrganization('read', 'parent'),
    entitlement: inOrganization('read', 'parent'),
    // How the organization pays, as its invoices: read.
    stripe: inOrganization('read', 'parent'),
    // An organization knows what it may send; only the operator changes it.
    limits: inOrganization('read', 'parent'),
  },
  Mutation: {
    recordUsage: ownOrganization('ingest'),
    createOrganization: operatorOnly,
    // Only scopes the caller has (requireMayGrantScopes).
    createApiKey: inOrganization('manage', organizationArgument),
    // A key of another organization is NOT_FOUND.
    revokeApiKey: inOrganization('manage'),
    setPlan: operatorOnly,
    generateInvoice: operatorOnly,
    finalizeInvoice: operatorOnly,
    voidInvoice: operatorOnly,
    closeInvoices: operatorOnly,
    setBillingTerms: operatorOnly,
    createMeter: operatorOnly,
    createServiceKey: operatorOnly,
    // What a customer paid for, as entitlements.
    setOrganizationLimits: operatorOnly,
    // An organization warns itself of its own spending; an alert of another organization is NOT_FOUND.
    createUsageAlert: inOrganization('manage', organizationArgument),
    deleteUsageAlert: inOrganization('manage'),
    // What a customer paid for: the operator's alone.
    setEntitlement: operatorOnly,
    deleteEntitlement: operatorOnly,
    createPasswordReset: operatorOnly,
    signIn: anyone,
    refreshSession: anyone,
    signOut: anyone,
    acceptInvitation: anyone,
    resetPassword: anyone,
    changePassword: signedInUser,
    // An OWNER only by an OWNER (requireMayGrantRole), in each of these four.
    inviteUser: inOrganization('people', organizationArgument),
    setMemberRole: inOrganization('people', organizationArgument),
    removeMember: inOrganization('people', organizationArgument),
    // An invitation of another organization is NOT_FOUND.
    revokeInvitation: inOrganization('people'),
    setStripeCustomer: operatorOnly,
    sendInvoiceToStripe: operatorOnly,
    // The operator: for every organization when organizationId is left out.
    createWebhookEndpoint: inOrganization('manage', organizationArgument),
    // An endpoint or message of another organization (or the operator's) is NOT_FOUND, in these four.
    updateWebhookEndpoint: inOrganization('manage'),
    rotateWebhookSecret: inOrganization('manage'),
    deleteWebhookEndpoint: inOrganization('manage'),
    redeliverWebhook: inOrganization('manage'),
  },
} satisfies Record<string, Record<string, Rule>>;

export type GuardedType = keyof typeof fieldAccess;

/**
 * The caller, once it may use the field under `rule`; undefined only for
 * fields anyone may use. Refuses with UNAUTHENTICATED (no credentials) or
 * FORBIDDEN (not allowed), and BAD_USER_INPUT for an organization argument
 * that is no id.
 */
export async function authorize(rule: Rule, parent: { id?: string } | undefined, args: Record<string, unknown>, context: RequestContext): Promise<Caller | undefined> {
  if (rule.who === 'anyone' || rule.who === 'as-parent') return undefined;
  const caller = await context.caller();
  if (!caller) throw new UnauthenticatedError('send X-API-Key, or Authorization: Bearer <token>');
  if (caller.kind === 'service') throw new ForbiddenError('a service key may only POST /ingest');
  switch (rule.who) {
    case 'operator':
      if (caller.kind !== 'operator') throw new ForbiddenError('operator only');
      return caller;
    case 'caller':
      return caller;
    case 'user':
      if (caller.kind !== 'tenant' || caller.via !== 'session') throw new ForbiddenError('only a signed-in user may do this');
      return caller;
    case 'tenant':
      if (caller.kind === 'operator') throw new ForbiddenError('the operator has no organization: use organization(id)');
      if (!rule.permissions.some((permission) => caller.permissions.has(permission))) throw missing(rule.permissions[0]!);
      return caller;
    case 'organization': {
      if (caller.kind === 'operator') return caller;
      const organizationId = organizationOf(rule.organization, parent, args) ?? caller.organizationId;
      if (organizationId !== caller.organizationId) throw new ForbiddenError('not your organization');
      if (!caller.permissions.has(rule.permission)) throw missing(rule.permission);
      return caller;
    }
  }
}

function organizationOf(source: OrganizationSource, parent: { id?: string } | undefined, args: Record<string, unknown>): string | undefined {
  if (source === 'caller') return undefined;
  if (source === 'parent') return parent?.id?.toLowerCase();
  const value = args[source.argument];
  if (value === undefined || value === null) return undefined;
  // Named as the client wrote it, not refused as another organization's.
  if (typeof value !== 'string' || !isUuid(value)) throw new ValidationError([{ field: source.argument, message: 'must be a UUID' }]);
  return value.toLowerCase();
}

const missing = (permission: Permission) => new ForbiddenError(`needs the ${permission} permission in the organization`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- resolvers' parents and arguments differ per field
type Resolver = (parent: any, args: any, context: RequestContext, info: any) => unknown;
type ResolverMap = Record<string, unknown>;

/**
 * The resolvers with each field of `fieldAccess` checked first; a field
 * without a resolver of its own (a property of its parent) is checked too.
 */
export function guardResolvers<T extends ResolverMap>(resolvers: T): T {
  const guarded: ResolverMap = { ...resolvers };
  for (const [typeName, rules] of Object.entries(fieldAccess) as [GuardedType, Record<string, Rule>][]) {
    const fields = { ...((resolvers[typeName] as Record<string, Resolver> | undefined) ?? {}) };
    for (const [field, rule] of Object.entries(rules)) {
      if (rule.who === 'as-parent') continue;
      const resolve: Resolver = fields[field] ?? ((parent: Record<string, unknown>) => parent[field]);
      fields[field] = async (parent, args, context, info) => {
        await authorize(rule, parent, args ?? {}, context);
        return resolve(parent, args, context, info);
      };
    }
    guarded[typeName] = fields;
  }
  return guarded as T;
}

/** `Type.field` of every field of the guarded types that has no rule, and of every rule that names no field. */
export function fieldsWithoutRules(schema: GraphQLSchema): string[] {
  const problems: string[] = [];
  for (const [typeName, rules] of Object.entries(fieldAccess)) {
    const type = schema.getType(typeName);
    const fields = type && isObjectType(type) ? Object.keys(type.getFields()) : [];
    for (const field of fields) if (!Object.hasOwn(rules, field)) problems.push(`${typeName}.${field}`);
    for (const field of Object.keys(rules)) if (!fields.includes(field)) problems.push(`${typeName}.${field} (a rule for no field)`);
  }
  return problems;
}

/** Only an OWNER (or the operator) invites, promotes to, demotes or removes an OWNER. */
export function requireMayGrantRole(caller: Caller, role: RoleName): void {
  if (role === 'OWNER' && caller.kind !== 'operator' && !(caller.kind === 'tenant' && caller.permissions.has('own'))) {
    throw new ForbiddenError('only an OWNER may invite, make or remove an OWNER');
  }
}

/**
 * A new key's scopes, each one the caller holds itself: a READ key cannot
 * make a MANAGE key. INGEST_ANY is a service key's, made by createServiceKey.
 */
export function requireMayGrantScopes(caller: Caller, scopes: readonly ApiKeyScope[]): void {
  const serviceOnly = scopes.filter((scope) => !isOrganizationKeyScope(scope));
  if (serviceOnly.length > 0) throw new ValidationError([{ field: 'scopes', message: `${serviceOnly.join(', ')} belongs to service keys: use createServiceKey` }]);
  if (caller.kind === 'operator') return;
  const lacking = scopes.filter((scope) => isOrganizationKeyScope(scope) && !(caller.kind === 'tenant' && caller.permissions.has(permissionByScope[scope])));
  if (lacking.length > 0) throw new ForbiddenError(`a key may be given only scopes its maker has; not ${lacking.join(', ')}`);
}

/** The tenant caller (a field's rule let it through), or undefined for the operator. */
export function tenantCaller(caller: Caller | undefined): TenantCaller | undefined {
  return caller?.kind === 'tenant' ? caller : undefined;
}

export function sessionOf(caller: Caller | undefined): SessionCaller | undefined {
  return caller?.kind === 'tenant' && caller.via === 'session' ? caller : undefined;
}
