/**
 * Event properties: a flat object of at most `maxKeys` keys, each value a
 * string, a finite number or a boolean. Property values are tenant data, so
 * their count and size are bounded here, at every edge, before anything is
 * stored.
 */
import { Decimal, NumberLiteral } from '../../../shared/decimal.js';
import type { Problems } from '../../../shared/errors.js';
import { isStorableText, storableTextProblem } from '../../../shared/validation.js';

/** A number is kept as its exact decimal; strings and booleans as they are. */
export type PropertyValue = string | boolean | Decimal;

/** A Map, so a key such as `__proto__` is only ever data. */
export type EventProperties = ReadonlyMap<string, PropertyValue>;

export interface PropertyLimits {
  maxKeys: number;
  /** Characters in a string value, and digits in a number's plain form. */
  maxValueLength: number;
}

export const defaultPropertyLimits: PropertyLimits = { maxKeys: 32, maxValueLength: 256 };

export const propertyKeyPattern = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
export const propertyKeyProblem = 'must be 1–64 characters of A-Z a-z 0-9 _ . -, starting with a letter or _';

/**
 * Validates what the wire had as properties: a plain object whose number
 * values are NumberLiterals (the edge decided that once). Absent is no
 * properties. Problems name `field.key`.
 */
export function checkProperties(raw: unknown, field: string, limits: PropertyLimits, problems: Problems): EventProperties | undefined {
  if (raw === undefined || raw === null) return new Map();
  if (typeof raw !== 'object' || Array.isArray(raw) || raw instanceof NumberLiteral || raw instanceof Map) {
    problems.add(field, 'must be an object of strings, numbers and booleans');
    return undefined;
  }
  const entries = Object.entries(raw);
  if (!problems.check(entries.length <= limits.maxKeys, field, `must have at most ${limits.maxKeys} keys`)) return undefined;
  const properties = new Map<string, PropertyValue>();
  let valid = true;
  for (const [key, value] of entries) {
    const keyField = `${field}.${key}`;
    if (!problems.check(propertyKeyPattern.test(key), keyField, `key ${propertyKeyProblem}`)) {
      valid = false;
      continue;
    }
    const checked = checkValue(value, keyField, limits, problems);
    if (checked === undefined) valid = false;
    else properties.set(key, checked);
  }
  return valid ? properties : undefined;
}

function checkValue(value: unknown, field: string, limits: PropertyLimits, problems: Problems): PropertyValue | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    if (!problems.check(value.length <= limits.maxValueLength, field, `must be at most ${limits.maxValueLength} characters`)) return undefined;
    if (!problems.check(isStorableText(value), field, storableTextProblem)) return undefined;
    return value;
  }
  if (value instanceof NumberLiteral) {
    const number = value.toDecimal();
    if (!problems.check(number !== undefined && number.toString().length <= limits.maxValueLength, field, `must be a number of at most ${limits.maxValueLength} digits`)) return undefined;
    return number;
  }
  problems.add(field, 'must be a string, a number or a boolean');
  return undefined;
}

/**
 * A value as text, the form groups, filters and UNIQUE_COUNT compare: a
 * number in plain notation without trailing zeros, which is also how
 * PostgreSQL prints it back from `propertiesJson`.
 */
export function propertyText(value: PropertyValue): string {
  return typeof value === 'string' ? value : String(value);
}

/** The properties as a JSON object, numbers exact. Null for none, so events without properties store nothing. */
export function propertiesJson(properties: EventProperties | undefined): string | null {
  if (!properties || properties.size === 0) return null;
  const members = [...properties].map(([key, value]) => `${JSON.stringify(key)}:${value instanceof Decimal ? value.toString() : JSON.stringify(value)}`);
  return `{${members.join(',')}}`;
}
