/** Billing's inputs and their validators, reporting every problem at once. */
import { Decimal } from '../../../shared/decimal.js';
import { Problems } from '../../../shared/errors.js';
import type { Period } from '../../../shared/periods.js';
import { checkDateOrTimestamp, checkPeriod, isStorableText, isUuid, metricNamePattern, metricNameProblem, storableTextProblem } from '../../../shared/validation.js';
import { defaultCurrency, isKnownCurrency } from './currency.js';


export const billingLimits = {
  planNameLength: 100,
  /** Digits after the point of a price or quota. */
  decimalPlaces: 12,
  integerDigits: 26,
  /** Longest invoice period, in days. */
  periodMaxDays: 366,
} as const;

export interface SetPlanInput {
  organizationId: string;
  name: string;
  metric: string;
  unitPrice: Decimal;
  freeQuota: Decimal;
  currency: string;
}

export function validateSetPlan(input: {
  organizationId: string;
  name: string;
  metric: string;
  unitPrice: string;
  freeQuota: string;
  currency: string;
}): SetPlanInput {
  const problems = new Problems();
  const organizationId = checkId(problems, 'organization_id', input.organizationId);
  const name = input.name.trim();
  problems.check(name.length > 0, 'name', 'is required');
  problems.check(name.length <= billingLimits.planNameLength, 'name', `must be at most ${billingLimits.planNameLength} characters`);
  problems.check(isStorableText(name), 'name', storableTextProblem);
  problems.check(metricNamePattern.test(input.metric), 'metric', metricNameProblem);
  const unitPrice = checkAmount(problems, 'unit_price', input.unitPrice);
  const freeQuota = checkAmount(problems, 'free_quota', input.freeQuota);
  const currency = (input.currency || defaultCurrency).toUpperCase();
  problems.check(isKnownCurrency(currency), 'currency', 'must be an ISO 4217 code such as USD');
  problems.throwIfAny();
  return { organizationId, name, metric: input.metric, unitPrice: unitPrice!, freeQuota: freeQuota!, currency };
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

function checkId(problems: Problems, field: string, value: string): string {
  if (problems.check(value !== '', field, 'is required')) problems.check(isUuid(value), field, 'must be a UUID');
  return value.toLowerCase();
}

function checkAmount(problems: Problems, field: string, text: string): Decimal | undefined {
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
