/** Billing's inputs and their validators, reporting every problem at once. */
import { Decimal } from '../../../shared/decimal.js';
import { Problems } from '../../../shared/errors.js';
import type { Period } from '../../../shared/periods.js';
import { checkDateOrTimestamp, checkPeriod, isStorableText, isUuid, metricNamePattern, metricNameProblem, storableTextProblem } from '../../../shared/validation.js';
import { isTimeZone } from '../../../shared/time-zones.js';
import { isKnownCurrency } from './currency.js';
import { billingLimits } from './limits.js';
import { isPaymentStatus, PaymentStatus } from './payment-status.js';
import { canonicalWhere, type PropertyFilter } from './period-pricing.js';
import { priceProblems, PricingModel, type Price } from './price-models.js';

export interface SetPlanInput {
  organizationId: string;
  name: string;
  metric: string;
  price: Price;
  where: PropertyFilter[];
  /** Undefined: the organization's (its prices' or terms'), else USD. */
  currency?: string;
  /** An instant in the first billing period the price applies to; undefined: the current one. */
  effectiveFrom?: Date;
}

/** The wire's SetPlan, decimals as text, before validation. */
export interface SetPlanFields {
  organizationId: string;
  name: string;
  metric: string;
  /** '' for PER_UNIT. */
  model: string;
  unitPrice: string;
  freeQuota: string;
  tiers: readonly { upTo: string; unitPrice: string; flatPrice: string }[];
  packageSize: string;
  packagePrice: string;
  where: readonly PropertyFilter[];
  currency: string;
  effectiveFrom: string;
}

export function validateSetPlan(input: SetPlanFields): SetPlanInput {
  const problems = new Problems();
  const organizationId = checkId(problems, 'organization_id', input.organizationId);
  const name = checkName(problems, 'name', input.name, billingLimits.planNameLength);
  problems.check(metricNamePattern.test(input.metric), 'metric', metricNameProblem);
  const model = (input.model || PricingModel.PerUnit) as PricingModel;
  const price = checkPrice(problems, model, input);
  const where = checkWhere(problems, input.where);
  const currency = input.currency === '' ? undefined : input.currency.toUpperCase();
  if (currency) problems.check(isKnownCurrency(currency), 'currency', 'must be an ISO 4217 code such as USD');
  const effectiveFrom = input.effectiveFrom === '' ? undefined : checkDateOrTimestamp(problems, 'effective_from', input.effectiveFrom);
  problems.throwIfAny();
  return { organizationId, name, metric: input.metric, price: price!, where, currency, effectiveFrom };
}

function checkPrice(problems: Problems, model: PricingModel, input: SetPlanFields): Price | undefined {
  const amount = (field: string, text: string, fallback?: Decimal) => (text === '' && fallback ? fallback : checkDecimal(problems, field, text));
  let price: Price;
  switch (model) {
    case PricingModel.PerUnit:
      price = { model, unitPrice: amount('unit_price', input.unitPrice)!, freeQuota: amount('free_quota', input.freeQuota, Decimal.zero)! };
      break;
    case PricingModel.Package:
      price = {
        model,
        packageSize: amount('package_size', input.packageSize)!,
        packagePrice: amount('package_price', input.packagePrice)!,
        freeQuota: amount('free_quota', input.freeQuota, Decimal.zero)!,
      };
      break;
    case PricingModel.Graduated:
    case PricingModel.Volume:
      price = {
        model,
        tiers: input.tiers.map((tier, i) => ({
          upTo: tier.upTo === '' ? undefined : checkDecimal(problems, `tiers[${i}].up_to`, tier.upTo),
          unitPrice: amount(`tiers[${i}].unit_price`, tier.unitPrice)!,
          flatPrice: amount(`tiers[${i}].flat_price`, tier.flatPrice, Decimal.zero)!,
        })),
      };
      break;
    default:
      problems.add('model', `must be one of ${Object.values(PricingModel).join(', ')}`);
      return undefined;
  }
  if (problems.list.length > 0) return undefined;
  for (const problem of priceProblems(price)) problems.add(problem.field, problem.message);
  return price;
}

function checkWhere(problems: Problems, where: readonly PropertyFilter[]): PropertyFilter[] {
  problems.check(where.length <= billingLimits.filterKeys, 'where', `must have at most ${billingLimits.filterKeys} filters`);
  where.forEach(({ key, values }, i) => {
    problems.check(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(key), `where[${i}].key`, 'must be a property key');
    problems.check(values.length >= 1 && values.length <= billingLimits.filterValues, `where[${i}].values`, `must hold 1–${billingLimits.filterValues} values`);
    values.forEach((value, j) => problems.check(value.length <= 256 && isStorableText(value), `where[${i}].values[${j}]`, 'must be text of at most 256 characters'));
  });
  problems.check(new Set(where.map((f) => f.key)).size === where.length, 'where', 'must not repeat a key');
  return canonicalWhere(where);
}

export interface SetTermsInput {
  orgId: string;
  timeZone: string;
  recurringFee: Decimal;
  recurringFeeName: string;
  minimum: Decimal;
  currency?: string;
}

export function validateSetTerms(input: {
  organizationId: string;
  timeZone: string;
  recurringFee: string;
  recurringFeeName: string;
  minimum: string;
  currency: string;
}): SetTermsInput {
  const problems = new Problems();
  const orgId = checkId(problems, 'organization_id', input.organizationId);
  const timeZone = input.timeZone || 'UTC';
  problems.check(isTimeZone(timeZone), 'time_zone', 'must be an IANA time zone, e.g. Europe/Berlin');
  const recurringFee = input.recurringFee === '' ? Decimal.zero : checkDecimal(problems, 'recurring_fee', input.recurringFee);
  const recurringFeeName = input.recurringFeeName === '' ? 'Subscription' : checkName(problems, 'recurring_fee_name', input.recurringFeeName, billingLimits.planNameLength);
  const minimum = input.minimum === '' ? Decimal.zero : checkDecimal(problems, 'minimum', input.minimum);
  const currency = input.currency === '' ? undefined : input.currency.toUpperCase();
  if (currency) problems.check(isKnownCurrency(currency), 'currency', 'must be an ISO 4217 code such as USD');
  problems.throwIfAny();
  return { orgId, timeZone, recurringFee: recurringFee!, recurringFeeName, minimum: minimum!, currency };
}

export function validateVoid(input: { invoiceId: string; reason: string }): { id: string; reason: string } {
  const problems = new Problems();
  const id = checkId(problems, 'invoice_id', input.invoiceId);
  const reason = checkName(problems, 'reason', input.reason, billingLimits.voidReasonLength);
  problems.throwIfAny();
  return { id, reason };
}

/** A payment provider's report: the invoice and its payment status (`paid`, `payment_failed`, `uncollectible`). */
export function validateSetPaymentStatus(input: { invoiceId: string; paymentStatus: string }): { id: string; paymentStatus: PaymentStatus } {
  const problems = new Problems();
  const id = checkId(problems, 'invoice_id', input.invoiceId);
  problems.check(isPaymentStatus(input.paymentStatus), 'payment_status', `must be one of ${Object.values(PaymentStatus).join(', ')}`);
  problems.throwIfAny();
  return { id, paymentStatus: input.paymentStatus as PaymentStatus };
}

function checkName(problems: Problems, field: string, text: string, maxLength: number): string {
  const name = text.trim();
  problems.check(name.length > 0, field, 'is required');
  problems.check(name.length <= maxLength, field, `must be at most ${maxLength} characters`);
  problems.check(isStorableText(name), field, storableTextProblem);
  return name;
}

/** A billing period from RFC 3339 timestamps or YYYY-MM-DD dates (UTC midnight). */
export function validatePeriod(input: { organizationId: string; periodStart: string; periodEnd: string }): { organizationId: string; period: Period } {
  const problems = new Problems();
  const organizationId = checkId(problems, 'organization_id', input.organizationId);
  const start = checkInstant(problems, 'period_start', input.periodStart);
  const end = checkInstant(problems, 'period_end', input.periodEnd);
  const period = checkPeriod(problems, { field: 'period_start', at: start }, { field: 'period_end', at: end }, billingLimits.periodMaxDays);
  problems.throwIfAny();
  return { organizationId, period: period! };
}

/** A required UUID, lower-cased. */
export function checkId(problems: Problems, field: string, value: string): string {
  if (problems.check(value !== '', field, 'is required')) problems.check(isUuid(value), field, 'must be a UUID');
  return value.toLowerCase();
}

/** A required decimal ≥ 0 within billing's bounds on prices, quantities and money. */
export function checkDecimal(problems: Problems, field: string, text: string): Decimal | undefined {
  const value = text === '' ? undefined : Decimal.parse(text);
  if (!problems.check(value !== undefined, field, text === '' ? 'is required' : 'must be a decimal number')) return undefined;
  if (!problems.check(!value!.isNegative(), field, 'must be ≥ 0')) return undefined;
  if (!problems.check(value!.decimalPlaces <= billingLimits.decimalPlaces, field, `must have at most ${billingLimits.decimalPlaces} decimal places`)) return undefined;
  if (!problems.check(value!.integerDigits <= billingLimits.integerDigits, field, `must be below 10^${billingLimits.integerDigits}`)) return undefined;
  return value;
}

function checkInstant(problems: Problems, field: string, value: string): Date | undefined {
  if (!problems.check(value !== '', field, 'is required')) return undefined;
  return checkDateOrTimestamp(problems, field, value);
}
