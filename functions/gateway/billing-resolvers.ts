/**
 * The fields the Billing service answers: prices over time in four models,
 * billing terms, and invoices that are numbered when finalized and may be
 * voided. GraphQL's PricingModel is the proto's without its prefix
 * (`GRADUATED` ↔ `PRICING_MODEL_GRADUATED`); the proto's empty strings are
 * GraphQL's nulls.
 */
import {
  BillingService as Billing,
  PricingModel,
  type BillingTerms,
  type Invoice,
  type Plan,
} from '../../proto/gen/polaris/billing/v1/billing.js';
import type { Organization } from '../../proto/gen/polaris/identity/v1/identity.js';
import { PolarisError, ValidationError } from '../../shared/errors.js';
import type { GatewayContext } from './context.js';
import { mutationMetadata, type RequestContext } from './request.js';

type ModelName = 'PER_UNIT' | 'GRADUATED' | 'VOLUME' | 'PACKAGE';

type SetPlanArgs = {
  organizationId: string;
  name: string;
  metric: string;
  unitPrice?: string | null;
  freeQuota?: string | null;
  model?: ModelName | null;
  tiers?: { upTo?: string | null; unitPrice: string; flatPrice?: string | null }[] | null;
  packageSize?: string | null;
  packagePrice?: string | null;
  where?: { key: string; values: string[] }[] | null;
  effectiveFrom?: string | null;
};

type SetBillingTermsArgs = {
  organizationId: string;
  timeZone?: string | null;
  recurringFee?: string | null;
  recurringFeeName?: string | null;
  minimum?: string | null;
  currency?: string | null;
};

const modelPrefix = 'PRICING_MODEL_';
const orNull = (text: string) => text || null;

const planView = (plan: Plan) => ({
  id: plan.id,
  name: plan.name,
  metric: plan.metric,
  model: plan.model === PricingModel.PRICING_MODEL_UNSPECIFIED ? 'PER_UNIT' : PricingModel[plan.model].slice(modelPrefix.length),
  unitPrice: plan.unitPrice || '0',
  freeQuota: plan.freeQuota || '0',
  tiers: plan.tiers.map((tier) => ({ upTo: orNull(tier.upTo), unitPrice: tier.unitPrice, flatPrice: orNull(tier.flatPrice) })),
  packageSize: orNull(plan.packageSize),
  packagePrice: orNull(plan.packagePrice),
  where: plan.where.flatMap(({ key, values }) => values.map((value) => ({ key, value }))),
  effectiveFrom: plan.effectiveFrom,
});

// totalAmount, the one key the message lacks, before the spread: on Node 20 a
// literal that adds keys after a spread gets a hidden class of its own each
// time (scripts/bench/LOG.md). The keys after it replace the message's own.
export const invoiceView = (invoice: Invoice) => ({
  totalAmount: Number(invoice.amount),
  ...invoice,
  number: orNull(invoice.number),
  voidReason: orNull(invoice.voidReason),
  finalizedAt: orNull(invoice.finalizedAt),
  paymentStatus: orNull(invoice.paymentStatus),
  lineItems: invoice.lineItems.map((line) => ({ ...line, forPeriodStart: orNull(line.forPeriodStart), forPeriodEnd: orNull(line.forPeriodEnd) })),
});

const termsView = (terms: BillingTerms) => ({ ...terms, currency: orNull(terms.currency) });

function termsOf(gateway: GatewayContext, organizationId: string): Promise<BillingTerms> {
  return gateway.clients.call(Billing.getBillingTerms, { organizationId });
}

/**
 * The terms a change starts from; none (every term empty) when the id is no
 * id, so that the change itself names every field at fault at once.
 */
async function termsBefore(gateway: GatewayContext, organizationId: string): Promise<BillingTerms> {
  try {
    return await termsOf(gateway, organizationId);
  } catch (err) {
    if (err instanceof ValidationError) return { organizationId, timeZone: '', recurringFee: '', recurringFeeName: '', minimum: '', currency: '' };
    throw err;
  }
}

/**
 * The RPCs name an invoice `invoice_id`, GraphQL `id`; and an invoice that
 * cannot be voided for its status is a problem with the `id` given.
 */
function asIdProblem(err: unknown): never {
  if (err instanceof ValidationError) {
    throw new ValidationError(err.problems.map((p) => (p.field === 'invoice_id' ? { ...p, field: 'id' } : p)));
  }
  if (err instanceof PolarisError && err.code === 'invoice_not_finalized') throw new ValidationError([{ field: 'id', message: err.message }]);
  throw err;
}

export const billingOrganizationFields = {
  plans: async (parent: Organization, _args: unknown, { gateway }: RequestContext) =>
    (await gateway.clients.call(Billing.listPlans, { organizationId: parent.id })).plans.map(planView),
  planHistory: async (parent: Organization, _args: unknown, { gateway }: RequestContext) =>
    (await gateway.clients.call(Billing.listPlanVersions, { organizationId: parent.id }, gateway.operatorMetadata)).plans.map(planView),
  billingTerms: async (parent: Organization, _args: unknown, { gateway }: RequestContext) => termsView(await termsOf(gateway, parent.id)),
};

export const billingMutations = {
  setPlan: async (_root: unknown, args: SetPlanArgs, context: RequestContext) => {
    const { gateway } = context;
    const { plan } = await gateway.clients.call(
      Billing.setPlan,
      {
        organizationId: args.organizationId,
        name: args.name,
        metric: args.metric,
        unitPrice: args.unitPrice ?? '',
        freeQuota: args.freeQuota ?? '',
        currency: '', // the organization's own (its prices' or terms'), else USD
        model: args.model ? PricingModel[`${modelPrefix}${args.model}`] : PricingModel.PRICING_MODEL_UNSPECIFIED,
        tiers: (args.tiers ?? []).map((tier) => ({ upTo: tier.upTo ?? '', unitPrice: tier.unitPrice, flatPrice: tier.flatPrice ?? '' })),
        packageSize: args.packageSize ?? '',
        packagePrice: args.packagePrice ?? '',
        where: args.where ?? [],
        effectiveFrom: args.effectiveFrom ?? '',
      },
      await mutationMetadata(context),
    );
    return planView(plan!);
  },
  generateInvoice: async (_root: unknown, args: { organizationId: string; periodStart: string; periodEnd: string }, context: RequestContext) => {
    const { gateway } = context;
    return invoiceView((await gateway.clients.call(Billing.generateInvoice, args, await mutationMetadata(context))).invoice!);
  },
  finalizeInvoice: async (_root: unknown, args: { id: string }, context: RequestContext) => {
    const { gateway } = context;
    const { invoice } = await gateway.clients.call(Billing.finalizeInvoice, { invoiceId: args.id }, await mutationMetadata(context)).catch(asIdProblem);
    return invoiceView(invoice!);
  },
  voidInvoice: async (_root: unknown, args: { id: string; reason: string }, context: RequestContext) => {
    const { gateway } = context;
    const { invoice } = await gateway.clients.call(Billing.voidInvoice, { invoiceId: args.id, reason: args.reason }, await mutationMetadata(context)).catch(asIdProblem);
    return invoiceView(invoice!);
  },
  closeInvoices: async (_root: unknown, _args: unknown, context: RequestContext) => {
    const { gateway } = context;
    return (await gateway.clients.call(Billing.closeInvoices, {}, await mutationMetadata(context))).finalized.map(invoiceView);
  },
  setBillingTerms: async (_root: unknown, args: SetBillingTermsArgs, context: RequestContext) => {
    const { gateway } = context;
    // The RPC sets every term; here a term left out keeps its value.
    const current = await termsBefore(gateway, args.organizationId);
    const terms = await gateway.clients.call(
      Billing.setBillingTerms,
      {
        organizationId: args.organizationId,
        timeZone: args.timeZone ?? current.timeZone,
        recurringFee: args.recurringFee ?? current.recurringFee,
        recurringFeeName: args.recurringFeeName ?? current.recurringFeeName,
        minimum: args.minimum ?? current.minimum,
        currency: args.currency ?? current.currency,
      },
      await mutationMetadata(context),
    );
    return termsView(terms);
  },
};
