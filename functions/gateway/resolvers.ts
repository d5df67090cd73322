/**
 * Every field delegates to a service over gRPC; the gateway only decides who
 * may ask and reshapes the answer.
 */
import type { IResolvers } from 'mercurius';
import { BillingService as Billing } from '../../proto/gen/polaris/billing/v1/billing.js';
import { IdentityService as Identity, type Organization } from '../../proto/gen/polaris/identity/v1/identity.js';
import { requireOperator, tenantOf, type Caller } from './auth.js';
import { billingMutations, billingOrganizationFields, invoiceView } from './billing-resolvers.js';
import type { GatewayContext } from './context.js';
import { DecimalScalar } from './decimal-scalar.js';
import { EventPropertiesScalar } from './event-properties-scalar.js';
import { usageMutations, usageOf, usageQueries, type UsageArgs } from './usage-resolvers.js';

/** Per request: the caller, worked out once, on first need. */
export interface RequestContext {
  gateway: GatewayContext;
  caller(): Promise<Caller | undefined>;
}

const apiKeyView = (key: { id: string; prefix: string; createdAt: string; revokedAt: string }) => ({ ...key, revokedAt: key.revokedAt || null });

async function invoicesOf({ gateway }: RequestContext, organizationId: string) {
  const { invoices } = await gateway.clients.call(Billing.listInvoices, { organizationId });
  return invoices.map(invoiceView);
}

async function asOperator(context: RequestContext): Promise<GatewayContext> {
  requireOperator(await context.caller());
  return context.gateway;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parents differ per type
export const resolvers: IResolvers<any, RequestContext> = {
  Decimal: DecimalScalar,
  EventProperties: EventPropertiesScalar,
  Query: {
    ...usageQueries,
    me: async (_root, _args, context) => context.gateway.organization(tenantOf(await context.caller())),
    invoices: async (_root, _args, context) => invoicesOf(context, tenantOf(await context.caller())),
    organizations: async (_root, _args, context) => {
      const gateway = await asOperator(context);
      return (await gateway.clients.call(Identity.listOrganizations, {}, gateway.operatorMetadata)).organizations;
    },
    organization: async (_root, args: { id: string }, context) => {
      const gateway = await asOperator(context);
      return gateway.organization(args.id);
    },
  },
  // Reached only through `me` (the caller's own) or `organization` (the operator's).
  Organization: {
    usage: (parent: Organization, args: UsageArgs, context) => usageOf(context, parent.id, args),
    invoices: (parent: Organization, _args, context) => invoicesOf(context, parent.id),
    ...billingOrganizationFields,
    apiKeys: async (parent: Organization, _args, { gateway }) =>
      (await gateway.clients.call(Identity.listApiKeys, { organizationId: parent.id }, gateway.operatorMetadata)).apiKeys.map(apiKeyView),
  },
  Mutation: {
    ...usageMutations,
    createOrganization: async (_root, args: { name: string }, context) => {
      const gateway = await asOperator(context);
      const created = await gateway.clients.call(Identity.createOrganization, { name: args.name, externalId: '' }, gateway.operatorMetadata);
      return { organization: created.organization, apiKey: created.apiKey };
    },
    createApiKey: async (_root, args: { organizationId: string }, context) => {
      const gateway = await asOperator(context);
      const created = await gateway.clients.call(Identity.createApiKey, { organizationId: args.organizationId, name: '', scopes: [], expiresAt: '' }, gateway.operatorMetadata);
      return { id: created.apiKeyId, apiKey: created.apiKey };
    },
    revokeApiKey: async (_root, args: { id: string }, context) => {
      const gateway = await asOperator(context);
      return (await gateway.clients.call(Identity.revokeApiKey, { apiKeyId: args.id }, gateway.operatorMetadata)).revoked;
    },
    ...billingMutations,
  },
};
