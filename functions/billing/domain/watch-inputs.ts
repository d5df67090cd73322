/** The inputs of usage alerts and entitlements, and their validators, reporting every problem at once. */
import { Decimal } from '../../../shared/decimal.js';
import { Problems } from '../../../shared/errors.js';
import { metricNamePattern, metricNameProblem } from '../../../shared/validation.js';
import { checkDecimal as checkAmount, checkId } from './inputs.js';

export const watchLimits = {
  /** Percentages an alert may warn at. */
  percentages: 10,
  /** The largest percentage of a budget: an alert may warn well past it. */
  maxPercent: 1000,
  percentDecimalPlaces: 4,
  /** Alerts per organization: each is evaluated whenever the organization's usage changes. */
  alertsPerOrganization: 100,
  /** Entitlements per organization. */
  entitlementsPerOrganization: 500,
} as const;

/** Warn at 80% and at 100% of the budget unless told otherwise. */
export const defaultPercentages: readonly Decimal[] = [Decimal.of(80), Decimal.of(100)];

export interface CreateUsageAlertInput {
  orgId: string;
  /** Undefined: the draft invoice's amount. */
  metric?: string;
  budget: Decimal;
  /** Ascending, without repeats. */
  percentages: Decimal[];
}

export function validateCreateUsageAlert(input: { organizationId: string; metric: string; budget: string; percentages: readonly string[] }): CreateUsageAlertInput {
  const problems = new Problems();
  const orgId = checkId(problems, 'organization_id', input.organizationId);
  if (input.metric !== '') problems.check(metricNamePattern.test(input.metric), 'metric', metricNameProblem);
  const budget = checkAmount(problems, 'budget', input.budget);
  if (budget) problems.check(!budget.isZero(), 'budget', 'must be greater than 0');
  const percentages = input.percentages.length === 0 ? [...defaultPercentages] : checkPercentages(problems, input.percentages);
  problems.throwIfAny();
  return { orgId, metric: input.metric || undefined, budget: budget!, percentages };
}

function checkPercentages(problems: Problems, texts: readonly string[]): Decimal[] {
  if (!problems.check(texts.length <= watchLimits.percentages, 'percentages', `must hold at most ${watchLimits.percentages} values`)) return [];
  const values: Decimal[] = [];
  texts.forEach((text, i) => {
    const field = `percentages[${i}]`;
    const value = Decimal.parse(text);
    if (!problems.check(value !== undefined, field, 'must be a decimal number')) return;
    const inRange = !value!.isNegative() && !value!.isZero() && value!.cmp(Decimal.of(watchLimits.maxPercent)) <= 0;
    if (!problems.check(inRange, field, `must be greater than 0 and at most ${watchLimits.maxPercent}`)) return;
    if (!problems.check(value!.decimalPlaces <= watchLimits.percentDecimalPlaces, field, `must have at most ${watchLimits.percentDecimalPlaces} decimal places`)) return;
    if (!problems.check(!values.some((seen) => seen.cmp(value!) === 0), field, 'repeats another percentage')) return;
    values.push(value!);
  });
  return values.sort((a, b) => a.cmp(b));
}

export interface DeleteUsageAlertInput {
  id: string;
  /** Only an alert of this organization; undefined: any. */
  orgId?: string;
}

export function validateDeleteUsageAlert(input: { alertId: string; organizationId: string }): DeleteUsageAlertInput {
  const problems = new Problems();
  const id = checkId(problems, 'alert_id', input.alertId);
  const orgId = input.organizationId === '' ? undefined : checkId(problems, 'organization_id', input.organizationId);
  problems.throwIfAny();
  return { id, orgId };
}

export const EntitlementKind = { Boolean: 'boolean', Metered: 'metered' } as const;
export type EntitlementKind = (typeof EntitlementKind)[keyof typeof EntitlementKind];

export type SetEntitlementInput = { orgId: string; feature: string } & (
  | { kind: typeof EntitlementKind.Boolean; enabled: boolean }
  | { kind: typeof EntitlementKind.Metered; metric: string; limit: Decimal; soft: boolean }
);

/**
 * A feature with a limit is METERED (its metric: the one named, else the
 * feature's own name); without one it is a BOOLEAN feature, on unless
 * `disabled`.
 */
export function validateSetEntitlement(input: {
  organizationId: string;
  feature: string;
  metric: string;
  limit: string;
  soft: boolean;
  disabled: boolean;
}): SetEntitlementInput {
  const problems = new Problems();
  const orgId = checkId(problems, 'organization_id', input.organizationId);
  const feature = checkFeature(problems, input.feature);
  let result: SetEntitlementInput | undefined;
  if (input.limit === '') {
    problems.check(input.metric === '', 'limit', 'is required with a metric: a metered entitlement needs its limit per billing period');
    problems.check(!input.soft, 'limit', 'is required for a soft limit');
    result = { orgId, feature, kind: EntitlementKind.Boolean, enabled: !input.disabled };
  } else {
    if (input.metric !== '') problems.check(metricNamePattern.test(input.metric), 'metric', metricNameProblem);
    const limit = checkAmount(problems, 'limit', input.limit);
    problems.check(!input.disabled, 'disabled', 'applies to a BOOLEAN feature only: delete a metered entitlement, or set its limit to 0');
    result = { orgId, feature, kind: EntitlementKind.Metered, metric: input.metric || feature, limit: limit!, soft: input.soft };
  }
  problems.throwIfAny();
  return result;
}

/** An organization and one of its features, as CheckEntitlement and DeleteEntitlement name them. */
export function validateFeatureRef(input: { organizationId: string; feature: string }): { orgId: string; feature: string } {
  const problems = new Problems();
  const orgId = checkId(problems, 'organization_id', input.organizationId);
  const feature = checkFeature(problems, input.feature);
  problems.throwIfAny();
  return { orgId, feature };
}

function checkFeature(problems: Problems, feature: string): string {
  if (problems.check(feature !== '', 'feature', 'is required')) problems.check(metricNamePattern.test(feature), 'feature', metricNameProblem);
  return feature;
}
