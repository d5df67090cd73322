/** Billing's domain values in their protobuf form: decimals as exact strings, money to the currency's minor unit. */
import {
  EntitlementType,
  PricingModel as RpcModel,
  type BillingTerms as TermsMessage,
  type CheckEntitlementResponse,
  type Entitlement as EntitlementMessage,
  type Invoice as InvoiceMessage,
  type Plan as PlanMessage,
  type UsageAlert as UsageAlertMessage,
} from '../../proto/gen/polaris/billing/v1/billing.js';
import {
  EntitlementKind,
  minorUnits,
  PricingModel,
  type BillingTerms,
  type Entitlement,
  type EntitlementAnswer,
  type Invoice,
  type PlanVersion,
  type RecordedCrossing,
  type UsageAlertRecord,
} from './domain/index.js';

const modelToRpc: Record<PricingModel, RpcModel> = {
  [PricingModel.PerUnit]: RpcModel.PRICING_MODEL_PER_UNIT,
  [PricingModel.Graduated]: RpcModel.PRICING_MODEL_GRADUATED,
  [PricingModel.Volume]: RpcModel.PRICING_MODEL_VOLUME,
  [PricingModel.Package]: RpcModel.PRICING_MODEL_PACKAGE,
};

/** The domain's name for an RPC pricing model: '' for unspecified (PER_UNIT), 'UNKNOWN' for a value this version does not know. */
export function modelFromRpc(model: RpcModel): string {
  if (model === RpcModel.PRICING_MODEL_UNSPECIFIED) return '';
  return Object.entries(modelToRpc).find(([, value]) => value === model)?.[0] ?? 'UNKNOWN';
}

export function planMessage(plan: PlanVersion): PlanMessage {
  const price = plan.price;
  return {
    id: plan.id,
    organizationId: plan.orgId,
    name: plan.name,
    metric: plan.metric,
    unitPrice: price.model === PricingModel.PerUnit ? price.unitPrice.toString() : '',
    freeQuota: 'freeQuota' in price ? price.freeQuota.toString() : '0',
    currency: plan.currency,
    model: modelToRpc[price.model],
    tiers: 'tiers' in price ? price.tiers.map((t) => ({ upTo: t.upTo?.toString() ?? '', unitPrice: t.unitPrice.toString(), flatPrice: t.flatPrice.toString() })) : [],
    packageSize: price.model === PricingModel.Package ? price.packageSize.toString() : '',
    packagePrice: price.model === PricingModel.Package ? price.packagePrice.toString() : '',
    where: plan.where,
    effectiveFrom: plan.effectiveFrom.toISOString(),
  };
}

export function invoiceMessage(invoice: Invoice): InvoiceMessage {
  const places = minorUnits(invoice.currency);
  return {
    id: invoice.id,
    organizationId: invoice.orgId,
    periodStart: invoice.periodStart.toISOString(),
    periodEnd: invoice.periodEnd.toISOString(),
    status: invoice.status,
    amount: invoice.amount.toFixed(places),
    currency: invoice.currency,
    lineItems: invoice.lines.map((line) => ({
      metric: line.metric ?? '',
      quantity: line.quantity.toString(),
      freeQuota: line.freeQuota.toString(),
      billableQuantity: line.billableQuantity.toString(),
      unitPrice: line.unitPrice.toString(),
      amount: line.amount.toFixed(places),
      kind: line.kind,
      description: line.description,
      forPeriodStart: line.forPeriod?.start.toISOString() ?? '',
      forPeriodEnd: line.forPeriod?.end.toISOString() ?? '',
      where: line.where,
    })),
    updatedAt: invoice.updatedAt.toISOString(),
    number: invoice.number ?? '',
    voidReason: invoice.voidReason ?? '',
    finalizedAt: invoice.finalizedAt?.toISOString() ?? '',
    paymentStatus: invoice.paymentStatus ?? '',
  };
}

export function termsMessage(terms: BillingTerms): TermsMessage {
  return {
    organizationId: terms.orgId,
    timeZone: terms.timeZone,
    recurringFee: terms.recurringFee.toString(),
    recurringFeeName: terms.recurringFeeName,
    minimum: terms.minimum.toString(),
    currency: terms.currency ?? '',
  };
}

export function usageAlertMessage(alert: UsageAlertRecord & { crossings?: readonly RecordedCrossing[] }): UsageAlertMessage {
  return {
    id: alert.id,
    organizationId: alert.orgId,
    metric: alert.metric ?? '',
    budget: alert.budget.toString(),
    percentages: alert.percentages.map(String),
    createdAt: alert.createdAt.toISOString(),
    crossings: (alert.crossings ?? []).map((crossing) => ({
      percent: crossing.percent.toString(),
      threshold: crossing.threshold.toString(),
      value: crossing.value.toString(),
      periodStart: crossing.period.start.toISOString(),
      periodEnd: crossing.period.end.toISOString(),
      crossedAt: crossing.crossedAt.toISOString(),
    })),
  };
}

const kindToRpc: Record<EntitlementKind, EntitlementType> = {
  [EntitlementKind.Boolean]: EntitlementType.ENTITLEMENT_TYPE_BOOLEAN,
  [EntitlementKind.Metered]: EntitlementType.ENTITLEMENT_TYPE_METERED,
};

export function entitlementMessage(entitlement: Entitlement): EntitlementMessage {
  return {
    id: entitlement.id,
    organizationId: entitlement.orgId,
    feature: entitlement.feature,
    type: kindToRpc[entitlement.kind],
    enabled: entitlement.enabled,
    metric: entitlement.metric ?? '',
    limit: entitlement.limit?.toString() ?? '',
    soft: entitlement.soft,
    updatedAt: entitlement.updatedAt.toISOString(),
  };
}

export function entitlementAnswerMessage(answer: EntitlementAnswer): CheckEntitlementResponse {
  return {
    hasAccess: answer.hasAccess,
    type: answer.kind ? kindToRpc[answer.kind] : EntitlementType.ENTITLEMENT_TYPE_UNSPECIFIED,
    usage: answer.usage?.toString() ?? '',
    limit: answer.limit?.toString() ?? '',
    soft: answer.soft,
    overLimit: answer.overLimit,
    resetsAt: answer.resetsAt?.toISOString() ?? '',
  };
}
