/**
 * Usage's inputs and their validators. One validator serves every way an
 * event arrives (JSON, CloudEvents, gRPC, GraphQL); each caller says what the
 * fields are called on its wire so the problems name them as the client sent them.
 */
import { NumberLiteral, type Decimal } from '../../../shared/decimal.js';
import { Problems, type FieldProblem } from '../../../shared/errors.js';
import { daysInMs, periodOf, PeriodUnit } from '../../../shared/periods.js';
import {
  checkDateOrTimestamp,
  checkPeriod,
  isStorableText,
  isUuid,
  metricNamePattern,
  metricNameProblem,
  parseTimestamp,
  storableTextProblem,
} from '../../../shared/validation.js';

export const usageLimits = {
  /** Digits after the point a quantity may have. */
  quantityDecimalPlaces: 12,
  /** Digits before the point (the events' column is numeric(38, 12); totals are unbounded). */
  quantityIntegerDigits: 26,
  idempotencyKeyLength: 255,
  /** How far in the future a timestamp may lie (clock skew), in milliseconds. */
  futureToleranceMs: 5 * 60 * 1000,
  /** Longest range GetUsageSummary answers, in days. */
  summaryMaxDays: 400,
} as const;


/** A usage event as validated: what the domain stores. */
export interface UsageEventInput {
  metric: string;
  /** Exact, ≥ 0, at most 12 decimal places. */
  quantity: Decimal;
  occurredAt: Date;
  /** Replays with the same key (per organization) are counted once. */
  idempotencyKey?: string;
  /** The CloudEvent type it arrived as, kept but not interpreted. */
  eventType?: string;
}

/**
 * An event as decoded from the wire, before validation. `quantity` is a
 * NumberLiteral when the wire had a number (its edge decides that once), and
 * whatever else the wire had otherwise, for the validator to name.
 */
export interface RawUsageEvent {
  metric?: unknown;
  quantity?: unknown;
  timestamp?: unknown;
  idempotencyKey?: unknown;
  eventType?: string;
}

/** One item of a request: an event as decoded, or the problems its edge already found. */
export type RecordItem = { event: RawUsageEvent } | { problems: FieldProblem[] };

/** What each field is called on the wire the event came from. */
export interface UsageFieldNames {
  metric: string;
  quantity: string;
  timestamp: string;
  idempotencyKey: string;
}

export const jsonFieldNames: UsageFieldNames = {
  metric: 'metric',
  quantity: 'quantity',
  timestamp: 'timestamp',
  idempotencyKey: 'idempotency_key',
};

export interface ValidationContext {
  now: Date;
  /** Oldest accepted timestamp, in days before now. */
  maxAgeDays: number;
  names?: UsageFieldNames;
}

export type UsageEventValidation = { ok: true; event: UsageEventInput } | { ok: false; problems: FieldProblem[] };

/** Validates one event, collecting every problem. */
export function validateUsageEvent(raw: RawUsageEvent, context: ValidationContext): UsageEventValidation {
  const names = context.names ?? jsonFieldNames;
  const problems = new Problems();

  const metric = raw.metric;
  if (problems.check(typeof metric === 'string', names.metric, metric === undefined ? 'is required' : 'must be a string')) {
    problems.check(metricNamePattern.test(metric as string), names.metric, metricNameProblem);
  }

  const quantity = parseQuantity(raw.quantity, names.quantity, problems);
  const occurredAt = checkTimestamp(raw.timestamp, names.timestamp, context, problems);

  let idempotencyKey: string | undefined;
  if (raw.idempotencyKey !== undefined && raw.idempotencyKey !== null) {
    if (problems.check(typeof raw.idempotencyKey === 'string', names.idempotencyKey, 'must be a string')) {
      idempotencyKey = raw.idempotencyKey as string;
      problems.check(
        idempotencyKey.length >= 1 && idempotencyKey.length <= usageLimits.idempotencyKeyLength,
        names.idempotencyKey,
        `must be 1–${usageLimits.idempotencyKeyLength} characters`,
      );
      problems.check(isStorableText(idempotencyKey), names.idempotencyKey, storableTextProblem);
    }
  }

  if (raw.eventType !== undefined) problems.check(isStorableText(raw.eventType), 'type', storableTextProblem);

  if (problems.list.length > 0) return { ok: false, problems: problems.list };
  return {
    ok: true,
    event: { metric: metric as string, quantity: quantity!, occurredAt: occurredAt!, idempotencyKey, eventType: raw.eventType },
  };
}

/** An exact quantity from the wire's number literal. */
function parseQuantity(value: unknown, field: string, problems: Problems): Decimal | undefined {
  if (value === undefined || value === null) {
    problems.add(field, 'is required');
    return undefined;
  }
  const quantity = value instanceof NumberLiteral ? value.toDecimal() : undefined;
  if (!quantity) {
    problems.add(field, 'must be a number');
    return undefined;
  }
  if (!problems.check(!quantity.isNegative(), field, 'must be ≥ 0')) return undefined;
  if (!problems.check(quantity.decimalPlaces <= usageLimits.quantityDecimalPlaces, field, `must have at most ${usageLimits.quantityDecimalPlaces} decimal places`)) return undefined;
  if (!problems.check(quantity.integerDigits <= usageLimits.quantityIntegerDigits, field, `must be below 10^${usageLimits.quantityIntegerDigits}`)) return undefined;
  return quantity;
}

function checkTimestamp(value: unknown, field: string, context: ValidationContext, problems: Problems): Date | undefined {
  if (value === undefined || value === null || value === '') return context.now;
  const at = typeof value === 'string' ? parseTimestamp(value) : undefined;
  if (!at) {
    problems.add(field, 'must be an RFC 3339 timestamp, e.g. 2026-11-25T10:00:00Z');
    return undefined;
  }
  const now = context.now.getTime();
  if (!problems.check(at.getTime() <= now + usageLimits.futureToleranceMs, field, 'is more than 5 minutes in the future')) return undefined;
  if (!problems.check(at.getTime() >= now - daysInMs(context.maxAgeDays), field, `is older than ${context.maxAgeDays} days`)) return undefined;
  return at;
}

export interface UsageSummaryQuery {
  organizationId: string;
  /** Empty: every metric. */
  metric?: string;
  from: Date;
  to: Date;
}

/**
 * Validates a summary query. `from` and `to` are RFC 3339 or YYYY-MM-DD;
 * they default to the current UTC month.
 */
export function validateSummaryQuery(input: { organizationId: string; metric: string; from: string; to: string }, now: Date): UsageSummaryQuery {
  const problems = new Problems();
  if (problems.check(input.organizationId !== '', 'organization_id', 'is required')) {
    problems.check(isUuid(input.organizationId), 'organization_id', 'must be a UUID');
  }
  if (input.metric !== '') problems.check(metricNamePattern.test(input.metric), 'metric', metricNameProblem);
  const month = periodOf(PeriodUnit.Month, now);
  const from = input.from === '' ? month.start : checkDateOrTimestamp(problems, 'from', input.from);
  const to = input.to === '' ? month.end : checkDateOrTimestamp(problems, 'to', input.to);
  const period = checkPeriod(problems, { field: 'from', at: from }, { field: 'to', at: to }, usageLimits.summaryMaxDays);
  problems.throwIfAny();
  return { organizationId: input.organizationId.toLowerCase(), metric: input.metric || undefined, from: period!.start, to: period!.end };
}
