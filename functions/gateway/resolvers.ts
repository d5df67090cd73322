/**
 * Every field delegates to a service over gRPC; the gateway only decides who
 * may ask (functions/gateway/access.ts, applied to every field here) and
 * reshapes the answer.
 */
import type { IResolvers } from 'mercurius';
import { BillingService as Billing } from '../../proto/gen/polaris/billing/v1/billing.js';
import { IdentityService as Identity, type ApiKey, type Organization } from '../../proto/gen/polaris/identity/v1/identity.js';
import { ErrorKind, NotFoundError, PolarisError, ValidationError } from '../../shared/errors.js';
import { defaultOrganizationLimits, effectiveLimits, maxLimitPerSecond, overridesFromMessage } from '../../shared/rate-limits/index.js';
import { fieldsWithoutRules, guardResolvers, requireMayGrantScopes, tenantCaller } from './access.js';
import { fieldsWithoutCosts } from './field-costs.js';
import { alertsEntitlementsMutations, alertsEntitlementsOrganizationFields, alertsEntitlementsQueries, entitlementFields } from './alerts-entitlements-resolvers.js';
import { tenantOf } from './auth.js';
import { billingMutations, billingOrganizationFields, invoiceView } from './billing-resolvers.js';
import { DecimalScalar } from './decimal-scalar.js';
import { renamingFields } from './errors.js';
import { EventPropertiesScalar } from './event-properties-scalar.js';
import { paymentsMutations, paymentsOrganizationFields } from './payments-resolvers.js';
import { peopleMutations, peopleOrganizationFields, peopleQueries } from './people-resolvers.js';
import { defaultScopes, serviceScope, type ApiKeyScope } from './permissions.js';
import { callerOf, mutationMetadata, type RequestContext } from './request.js';
import { builtSchema } from './schema.js';
import { usageMutations, usageOf, usageQueries, type UsageArgs } from './usage-resolvers.js';
import { webhookMutations, webhookQueries } from './webhooks-resolvers.js';

export type { RequestContext } from './request.js';

const unruled = fieldsWithoutRules(builtSchema);
if (unruled.length > 0) throw new Error(`every field needs a rule in functions/gateway/access.ts; none for ${unruled.join(', ')}`);

const orNull = (text: string) => text || null;

const apiKeyView = (key: ApiKey) => ({
  id: key.id,
  prefix: key.prefix,
  createdAt: key.createdAt,
  revokedAt: orNull(key.revokedAt),
  name: orNull(key.name),
  // Identity answers a key's scopes; a key made before scopes existed has all three.
  scopes: key.scopes.length > 0 ? key.scopes : defaultScopes,
  expiresAt: orNull(key.expiresAt),
  lastUsedAt: orNull(key.lastUsedAt),
});

async function invoicesOf({ gateway }: RequestContext, organizationId: string) {
  const { invoices } = await gateway.clients.call(Billing.listInvoices, { organizationId });
  return invoices.map(invoiceView);
}

type SetOrganizationLimitsArgs = {
  organizationId: string;
  limits: { ingestRequestsPerSecond?: number | null; ingestEventsPerSecond?: number | null; graphqlCostPerSecond?: number | null };
};

type CreateApiKeyArgs = { organizationId: string; name?: string | null; scopes?: ApiKeyScope[] | null; expiresAt?: string | null };

/** The key's organization, for a tenant revoking it: another organization's key is as unknown as one that does not exist. */
async function requireOwnKey(context: RequestContext, organizationId: string, apiKeyId: string): Promise<void> {
  const notFound = new NotFoundError('api_key_not_found', `API key ${apiKeyId} does not exist`);
  const { gateway } = context;
  const { apiKey } = await gateway.clients.call(Identity.getApiKey, { apiKeyId }, gateway.operatorMetadata).catch((err: unknown) => {
    if (err instanceof PolarisError && err.kind === ErrorKind.NotFound) throw notFound;
    return renamingFields({ api_key_id: 'id' })(err);
  });
  if (apiKey?.organizationId !== organizationId) throw notFound;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parents differ per type
export const resolvers: IResolvers<any, RequestContext> = guardResolvers({
  Decimal: DecimalScalar,
  EventProperties: EventPropertiesScalar,
  Query: {
    ...usageQueries,
    ...peopleQueries,
    ...alertsEntitlementsQueries,
    ...webhookQueries,
    me: async (_root: unknown, _args: unknown, context: RequestContext) => context.gateway.organization(tenantOf(await callerOf(context)).organizationId),
    invoices: async (_root: unknown, _args: unknown, context: RequestContext) => invoicesOf(context, tenantOf(await callerOf(context)).organizationId),
    organizations: async (_root: unknown, _args: unknown, { gateway }: RequestContext) =>
      (await gateway.clients.call(Identity.listOrganizations, {}, gateway.operatorMetadata)).organizations,
    organization: async (_root: unknown, args: { id: string }, { gateway }: RequestContext) => gateway.organization(args.id),
  },
  // Reached through `me` (the caller's own), `organization` (the operator's), and a user's sessions and memberships.
  Organization: {
    externalId: (parent: Organization) => orNull(parent.externalId),
    usage: (parent: Organization, args: UsageArgs, context: RequestContext) => usageOf(context, parent.id, args),
    invoices: (parent: Organization, _args: unknown, context: RequestContext) => invoicesOf(context, parent.id),
    ...billingOrganizationFields,
    ...peopleOrganizationFields,
    ...alertsEntitlementsOrganizationFields,
    ...paymentsOrganizationFields,
    apiKeys: async (parent: Organization, _args: unknown, { gateway }: RequestContext) =>
      (await gateway.clients.call(Identity.listApiKeys, { organizationId: parent.id }, gateway.operatorMetadata)).apiKeys.map(apiKeyView),
    limits: (parent: Organization, _args: unknown, { gateway }: RequestContext) => {
      const own = overridesFromMessage(parent.limits);
      const limits = gateway.rateLimiter?.limitsOf(own) ?? effectiveLimits(defaultOrganizationLimits, own);
      return { ...limits, enforced: gateway.rateLimiter !== undefined };
    },
  },
  Entitlement: entitlementFields,
  Mutation: {
    ...usageMutations,
    ...peopleMutations,
    createOrganization: async (_root: unknown, args: { name: string; externalId?: string | null }, context: RequestContext) => {
      const created = await context.gateway.clients.call(
        Identity.createOrganization,
        { name: args.name, externalId: args.externalId ?? '' },
        await mutationMetadata(context),
      );
      return { organization: created.organization, apiKey: created.apiKey };
    },
    createApiKey: async (_root: unknown, args: CreateApiKeyArgs, context: RequestContext) => {
      if (args.scopes?.length === 0) throw new ValidationError([{ field: 'scopes', message: 'must name at least one scope, or be left out' }]);
      const scopes = [...new Set(args.scopes ?? defaultScopes)];
      requireMayGrantScopes(await callerOf(context), scopes);
      const created = await context.gateway.clients.call(
        Identity.createApiKey,
        { organizationId: args.organizationId, name: args.name ?? '', scopes, expiresAt: args.expiresAt ?? '' },
        await mutationMetadata(context),
      );
      return { id: created.apiKeyId, apiKey: created.apiKey, scopes };
    },
    revokeApiKey: async (_root: unknown, args: { id: string }, context: RequestContext) => {
      const tenant = tenantCaller(await callerOf(context));
      if (tenant) await requireOwnKey(context, tenant.organizationId, args.id);
      const { revoked } = await context.gateway.clients
        .call(Identity.revokeApiKey, { apiKeyId: args.id }, await mutationMetadata(context))
        .catch(renamingFields({ api_key_id: 'id' }));
      return revoked;
    },
    createServiceKey: async (_root: unknown, args: { name: string }, context: RequestContext) => {
      const created = await context.gateway.clients.call(Identity.createServiceKey, { name: args.name }, await mutationMetadata(context));
      return { id: created.apiKeyId, apiKey: created.apiKey, scopes: [serviceScope] };
    },
    setOrganizationLimits: async (_root: unknown, args: SetOrganizationLimitsArgs, context: RequestContext) => {
      // Over gRPC 0 means "the default" (proto3 has no absent number); here a limit is left out for that, so 0 is a mistake too.
      const outOfRange = Object.entries(args.limits).filter(([, value]) => value !== null && value !== undefined && !(value >= 1 && value <= maxLimitPerSecond));
      if (outOfRange.length > 0) {
        throw new ValidationError(outOfRange.map(([field]) => ({ field, message: `must be a whole number from 1 to ${maxLimitPerSecond} a second; leave it out for the default` })));
      }
      const { organization } = await context.gateway.clients.call(
        Identity.setOrganizationLimits,
        {
          organizationId: args.organizationId,
          limits: {
            ingestRequestsPerSecond: args.limits.ingestRequestsPerSecond ?? 0,
            ingestEventsPerSecond: args.limits.ingestEventsPerSecond ?? 0,
            graphqlCostPerSecond: args.limits.graphqlCostPerSecond ?? 0,
          },
        },
        await mutationMetadata(context),
      );
      // This pod shows the new limits at once; the others within their cache's time.
      context.gateway.forgetOrganization(organization!.id);
      return organization;
    },
    ...billingMutations,
    ...alertsEntitlementsMutations,
    ...paymentsMutations,
    ...webhookMutations,
  },
});

const uncosted = fieldsWithoutCosts(builtSchema, resolvers as Record<string, unknown>);
if (uncosted.length > 0) throw new Error(`every field that calls a service needs a cost in functions/gateway/field-costs.ts; none for ${uncosted.join(', ')}`);
