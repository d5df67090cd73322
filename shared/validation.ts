/** Small validators shared by every service's input checks. */
import { Problems } from './errors.js';

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
const isoDate = /^\d{4}-\d{2}-\d{2}$/;

/** An RFC 3339 timestamp with its zone; undefined when `value` is not one. */
export function parseTimestamp(value: string): Date | undefined {
  if (!rfc3339.test(value)) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** A date (YYYY-MM-DD, UTC midnight) or an RFC 3339 timestamp; undefined when neither. */
export function parseDateOrTimestamp(value: string): Date | undefined {
  if (!isoDate.test(value)) return parseTimestamp(value);
  const at = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}
