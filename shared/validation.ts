/** Small validators shared by every service's input checks. */
import { Problems } from './errors.js';
import { lastsAtMostDays, type Period } from './periods.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** Checks that `value` is a UUID, naming `field` when it is not; returns it lower-cased. */
export function requireUuid(field: string, value: string): string {
  const problems = new Problems();
  if (problems.check(value !== '', field, 'is required')) problems.check(isUuid(value), field, 'must be a UUID');
  problems.throwIfAny();
  return value.toLowerCase();
}

/** A metric name: 1–64 characters of a-z 0-9 _ . -, starting with a letter. */
export const metricNamePattern = /^[a-z][a-z0-9_.-]{0,63}$/;
export const metricNameProblem = 'must be 1–64 characters of a-z 0-9 _ . -, starting with a letter';

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
/** A calendar date, YYYY-MM-DD. */
export const isoDatePattern = /^\d{4}-\d{2}-\d{2}$/;

/** Instants Polaris accepts: from 1970 to the end of 9998, so day and month arithmetic stays within PostgreSQL's range. */
const earliest = Date.UTC(1970, 0, 1);
const latest = Date.UTC(9999, 0, 1);

function inRange(at: Date): Date | undefined {
  const time = at.getTime();
  return Number.isNaN(time) || time < earliest || time >= latest ? undefined : at;
}

/** An RFC 3339 timestamp with its zone, 1970 to 9998; undefined when `value` is not one. */
export function parseTimestamp(value: string): Date | undefined {
  return rfc3339.test(value) ? inRange(new Date(value)) : undefined;
}

/** A date (YYYY-MM-DD, UTC midnight) or an RFC 3339 timestamp, 1970 to 9998; undefined when neither. */
export function parseDateOrTimestamp(value: string): Date | undefined {
  return isoDatePattern.test(value) ? inRange(new Date(`${value}T00:00:00Z`)) : parseTimestamp(value);
}

/** `value` as a date or RFC 3339 timestamp ({@link parseDateOrTimestamp}), naming `field` when it is neither. */
export function checkDateOrTimestamp(problems: Problems, field: string, value: string): Date | undefined {
  const at = parseDateOrTimestamp(value);
  problems.check(at !== undefined, field, 'must be a date (YYYY-MM-DD) or an RFC 3339 timestamp');
  return at;
}

/**
 * A period from two checked bounds: the end after the start and at most
 * `maxDays` days of 24 hours later, naming the end's field when it is not.
 * Undefined when a bound is missing or the period is refused.
 */
export function checkPeriod(
  problems: Problems,
  start: { field: string; at: Date | undefined },
  end: { field: string; at: Date | undefined },
  maxDays: number,
): Period | undefined {
  if (!start.at || !end.at) return undefined;
  const period = { start: start.at, end: end.at };
  const ordered = problems.check(period.start < period.end, end.field, `must be after ${start.field}`);
  const short = problems.check(lastsAtMostDays(period, maxDays), end.field, `must be at most ${maxDays} days after ${start.field}`);
  return ordered && short ? period : undefined;
}

/** Text PostgreSQL can store as sent: well-formed Unicode (no lone surrogate) and no U+0000. */
export function isStorableText(value: string): boolean {
  return value.isWellFormed() && !value.includes('\u0000');
}

/** The problem with text PostgreSQL cannot store, for a field's message. */
export const storableTextProblem = 'must be valid Unicode text without U+0000';

/**
 * An organization's externalId (the operator's own customer id): 1–255
 * printable characters, no whitespace. Case matters: it is compared as written.
 */
const externalIdPattern = /^[^\p{C}\p{Z}\s]{1,255}$/u;

export function isExternalId(value: string): boolean {
  return externalIdPattern.test(value);
}

export const externalIdProblem = 'must be 1–255 printable characters without whitespace';
