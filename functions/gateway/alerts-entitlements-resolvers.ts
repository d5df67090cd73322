/**
 * The fields of usage alerts and entitlements, which the Billing service
 * answers. GraphQL's EntitlementType is the proto's without its prefix
 * (`METERED` ↔ `ENTITLEMENT_TYPE_METERED`); the proto's empty strings are
 * GraphQL's nulls. Who may use each field: functions/gateway/access.ts; that
 * an alert belongs to the caller's organization is checked by Billing, which
 * answers NOT_FOUND for another organization's.
 */
import {
  BillingService as Billing,
  EntitlementType,
  type CheckEntitlementResponse,
  type Entitlement,
  type UsageAlert,
} from '../../proto/gen/polaris/billing/v1/billing.js';
import type { Organization } from '../../proto/gen/polaris/identity/v1/identity.js';
import { tenantCaller } from './access.js';
import { tenantOf } from './auth.js';
import { renamingFields } from './errors.js';
import { callerOf, mutationMetadata, type RequestContext } from './request.js';

const orNull = (text: string) => text || null;
const typePrefix = 'ENTITLEMENT_TYPE_';

const typeName = (type: EntitlementType) => (type === EntitlementType.ENTITLEMENT_TYPE_UNSPECIFIED ? null : EntitlementType[type]?.slice(typePrefix.length) ?? null);

const usageAlertView = (alert: UsageAlert) => ({
  id: alert.id,
  metric: orNull(alert.metric),
  budget: alert.budget,
  percentages: alert.percentages,
  createdAt: alert.createdAt,
  crossings: alert.crossings,
});

const entitlementView = (entitlement: Entitlement) => ({
  id: entitlement.id,
  organizationId: entitlement.organizationId,
  feature: entitlement.feature,
  type: typeName(entitlement.type),
  enabled: entitlement.enabled,
  metric: orNull(entitlement.metric),
  limit: orNull(entitlement.limit),
  soft: entitlement.soft,
  updatedAt: entitlement.updatedAt,
});

const checkView = (feature: string, answer: CheckEntitlementResponse) => ({
  feature,
  hasAccess: answer.hasAccess,
  type: typeName(answer.type),
  usage: orNull(answer.usage),
  limit: orNull(answer.limit),
  soft: answer.soft,
  overLimit: answer.overLimit,
  resetsAt: orNull(answer.resetsAt),
});

async function alertsOf({ gateway }: RequestContext, organizationId: string) {
  return (await gateway.clients.call(Billing.listUsageAlerts, { organizationId })).alerts.map(usageAlertView);
}

async function checkOf({ gateway }: RequestContext, organizationId: string, feature: string, argument: string) {
  const answer = await gateway.clients.call(Billing.checkEntitlement, { organizationId, feature }).catch(renamingFields({ feature: argument }));
  return checkView(feature, answer);
}

type CreateUsageAlertArgs = { organizationId: string; metric?: string | null; budget: string; percentages?: string[] | null };
type SetEntitlementArgs = { organizationId: string; feature: string; metric?: string | null; limit?: string | null; soft?: boolean | null; enabled?: boolean | null };

export const alertsEntitlementsQueries = {
  usageAlerts: async (_root: unknown, _args: unknown, context: RequestContext) => alertsOf(context, tenantOf(await callerOf(context)).organizationId),
  // The issue names the argument metric: it is the feature's key.
  entitlement: async (_root: unknown, args: { metric: string }, context: RequestContext) =>
    checkOf(context, tenantOf(await callerOf(context)).organizationId, args.metric, 'metric'),
};

export const alertsEntitlementsOrganizationFields = {
  usageAlerts: (parent: Organization, _args: unknown, context: RequestContext) => alertsOf(context, parent.id),
  entitlements: async (parent: Organization, _args: unknown, { gateway }: RequestContext) =>
    (await gateway.clients.call(Billing.listEntitlements, { organizationId: parent.id })).entitlements.map(entitlementView),
  entitlement: (parent: Organization, args: { feature: string }, context: RequestContext) => checkOf(context, parent.id, args.feature, 'feature'),
};

/** Reached only through an organization's entitlements, whose rule already let the caller in. */
export const entitlementFields = {
  access: (parent: { organizationId: string; feature: string }, _args: unknown, context: RequestContext) => checkOf(context, parent.organizationId, parent.feature, 'feature'),
};

export const alertsEntitlementsMutations = {
  createUsageAlert: async (_root: unknown, args: CreateUsageAlertArgs, context: RequestContext) => {
    const { alert } = await context.gateway.clients.call(
      Billing.createUsageAlert,
      { organizationId: args.organizationId, metric: args.metric ?? '', budget: args.budget, percentages: args.percentages ?? [] },
      await mutationMetadata(context),
    );
    return usageAlertView(alert!);
  },
  deleteUsageAlert: async (_root: unknown, args: { id: string }, context: RequestContext) => {
    // A tenant deletes only its own organization's alerts: Billing answers NOT_FOUND for another's.
    const tenant = tenantCaller(await callerOf(context));
    await context.gateway.clients
      .call(Billing.deleteUsageAlert, { alertId: args.id, organizationId: tenant?.organizationId ?? '' }, await mutationMetadata(context))
      .catch(renamingFields({ alert_id: 'id' }));
    return true;
  },
  setEntitlement: async (_root: unknown, args: SetEntitlementArgs, context: RequestContext) => {
    const { entitlement } = await context.gateway.clients
      .call(
        Billing.setEntitlement,
        {
          organizationId: args.organizationId,
          feature: args.feature,
          metric: args.metric ?? '',
          limit: args.limit ?? '',
          soft: args.soft ?? false,
          disabled: args.enabled === false,
        },
        await mutationMetadata(context),
      )
      .catch(renamingFields({ disabled: 'enabled' }));
    return entitlementView(entitlement!);
  },
  deleteEntitlement: async (_root: unknown, args: { organizationId: string; feature: string }, context: RequestContext) =>
    (await context.gateway.clients.call(Billing.deleteEntitlement, args, await mutationMetadata(context))).deleted,
};
