/**
 * Usage's inputs and their validators. One validator serves every way an
 * event arrives (JSON, CloudEvents, gRPC, GraphQL); each caller says what the
 * fields are called on its wire so the problems name them as the client sent them.
 */
import { Decimal, NumberLiteral } from '../../../shared/decimal.js';
import { Problems, type FieldProblem } from '../../../shared/errors.js';
import { daysInMs, periodOf, PeriodUnit } from '../../../shared/periods.js';
import {
  checkDateOrTimestamp,
  checkPeriod,
  isoDatePattern,
  isStorableText,
  isUuid,
  metricNamePattern,
  metricNameProblem,
  parseTimestamp,
  storableTextProblem,
} from '../../../shared/validation.js';
import { DateTime } from 'luxon';
import { isTimeZone, monthContaining, WindowSize } from '../../../shared/time-zones.js';
import { MeterAggregation, quantityOptional, type Meter } from './meters.js';
import { checkProperties, defaultPropertyLimits, type EventProperties, type PropertyLimits } from './properties.js';

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
  /** Most windows one summary answers (a 400-day range of DAY windows fits; of HOUR windows, 41 days). */
  summaryMaxWindows: 1000,
  /** Values one `where` filter may list. */
  filterValues: 100,
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
  properties: EventProperties;
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
  /** A plain object whose numbers are NumberLiterals, as the edge decoded it. */
  properties?: unknown;
}

/** One item of a request: an event as decoded, or the problems its edge already found. */
export type RecordItem = { event: RawUsageEvent } | { problems: FieldProblem[] };

/** What each field is called on the wire the event came from. */
export interface UsageFieldNames {
  metric: string;
  quantity: string;
  timestamp: string;
  idempotencyKey: string;
  properties: string;
}

export const jsonFieldNames: UsageFieldNames = {
  metric: 'metric',
  quantity: 'quantity',
  timestamp: 'timestamp',
  idempotencyKey: 'idempotency_key',
  properties: 'properties',
};

export interface ValidationContext {
  now: Date;
  /** Oldest accepted timestamp, in days before now. */
  maxAgeDays: number;
  names?: UsageFieldNames;
  /** The meter measuring a metric (the default SUM meter when it has none). */
  meterOf: (metric: string) => Meter;
  propertyLimits: PropertyLimits;
}

export type UsageEventValidation = { ok: true; event: UsageEventInput } | { ok: false; problems: FieldProblem[] };

/** Validates one event, collecting every problem. */
export function validateUsageEvent(raw: RawUsageEvent, context: ValidationContext): UsageEventValidation {
  const names = context.names ?? jsonFieldNames;
  const problems = new Problems();

  const metric = raw.metric;
  let meter: Meter | undefined;
  if (problems.check(typeof metric === 'string', names.metric, metric === undefined ? 'is required' : 'must be a string')) {
    if (problems.check(metricNamePattern.test(metric as string), names.metric, metricNameProblem)) meter = context.meterOf(metric as string);
  }

  const countsEvents = meter !== undefined && quantityOptional(meter) && (raw.quantity === undefined || raw.quantity === null);
  // An event of a meter that counts events weighs one, whatever it omits.
  const quantity = countsEvents ? Decimal.of(1) : parseQuantity(raw.quantity, names.quantity, problems);
  const properties = checkProperties(raw.properties, names.properties, context.propertyLimits, problems);
  if (meter?.aggregation === MeterAggregation.UniqueCount && properties) {
    const key = meter.valueProperty!;
    problems.check(properties.has(key), `${names.properties}.${key}`, `is required: the ${meter.metric} meter counts distinct ${key} values`);
  }
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
    event: { metric: metric as string, quantity: quantity!, occurredAt: occurredAt!, idempotencyKey, eventType: raw.eventType, properties: properties! },
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
  windowSize: WindowSize;
  timeZone: string;
  groupBy: string[];
  where: { key: string; values: string[] }[];
}

export interface UsageSummaryInput {
  organizationId: string;
  metric: string;
  from: string;
  to: string;
  /** Empty: DAY. */
  windowSize?: WindowSize | '';
  /** Empty: UTC. */
  timeZone?: string;
  groupBy?: readonly string[];
  where?: readonly { key: string; values: readonly string[] }[];
}

/**
 * Validates a summary query's form; whether its group-by keys belong to the
 * meter is the service's to check. `from` and `to` are RFC 3339 or
 * YYYY-MM-DD (midnight in the query's time zone); they default to the
 * current month there.
 */
export function validateSummaryQuery(input: UsageSummaryInput, now: Date): UsageSummaryQuery {
  const problems = new Problems();
  if (problems.check(input.organizationId !== '', 'organization_id', 'is required')) {
    problems.check(isUuid(input.organizationId), 'organization_id', 'must be a UUID');
  }
  if (input.metric !== '') problems.check(metricNamePattern.test(input.metric), 'metric', metricNameProblem);
  const timeZone = input.timeZone || 'UTC';
  const zoneKnown = problems.check(isTimeZone(timeZone), 'time_zone', 'must be an IANA time zone, e.g. Europe/Berlin or Asia/Kolkata');
  const zone = zoneKnown ? timeZone : 'UTC';
  const month = monthContaining(zone, now);
  const from = input.from === '' ? month.start : checkDateIn(problems, 'from', input.from, zone);
  const to = input.to === '' ? month.end : checkDateIn(problems, 'to', input.to, zone);
  const period = checkPeriod(problems, { field: 'from', at: from }, { field: 'to', at: to }, usageLimits.summaryMaxDays);
  const windowSize = input.windowSize || WindowSize.Day;
  const groupBy = [...(input.groupBy ?? [])];
  const where = (input.where ?? []).map(({ key, values }) => ({ key, values: [...values] }));
  if (input.metric === '') {
    problems.check(groupBy.length === 0, 'group_by', 'needs a metric');
    problems.check(where.length === 0, 'where', 'needs a metric');
  }
  where.forEach(({ values }, index) => {
    const field = `where[${index}].values`;
    if (problems.check(values.length >= 1 && values.length <= usageLimits.filterValues, field, `must hold 1–${usageLimits.filterValues} values`)) {
      values.forEach((value, i) => problems.check(value.length <= defaultPropertyLimits.maxValueLength && isStorableText(value), `${field}[${i}]`, `must be text of at most ${defaultPropertyLimits.maxValueLength} characters`));
    }
  });
  problems.throwIfAny();
  return {
    organizationId: input.organizationId.toLowerCase(),
    metric: input.metric || undefined,
    from: period!.start,
    to: period!.end,
    windowSize,
    timeZone,
    groupBy,
    where,
  };
}

/** A YYYY-MM-DD date is midnight in `zone`; a timestamp is that instant. */
function checkDateIn(problems: Problems, field: string, value: string, zone: string): Date | undefined {
  const at = checkDateOrTimestamp(problems, field, value);
  if (!at || !isoDatePattern.test(value) || zone === 'UTC') return at;
  return DateTime.fromISO(value, { zone }).startOf('day').toJSDate();
}

