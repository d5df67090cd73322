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
