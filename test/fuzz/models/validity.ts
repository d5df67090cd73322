/**
 * The model of a generated JSON body: each value as the text sent, with
 * what the contract makes of it.
 */
import { rfc3339, type TimestampStyle } from '../arbitraries/timestamps.js';

/** Certainly accepted, certainly refused, or not known to the model (then nothing is asserted of it). */
export type Validity = 'valid' | 'invalid' | 'unknown';

/** The validity of a whole made of parts: refused if one part is, unsure if one part is. */
export const worst = (...all: Validity[]): Validity => (all.includes('invalid') ? 'invalid' : all.includes('unknown') ? 'unknown' : 'valid');

/** A JSON value as text, or a timestamp rendered when the request is sent (so "now" is right). */
export type Value = { text: string; validity: Validity } | { relativeMs: number; style: TimestampStyle; validity: Validity };

/** The JSON text of `value`, its timestamp taken relative to `now` (ms since the epoch). */
export function renderValue(value: Value, now: number): string {
  if ('text' in value) return value.text;
  return JSON.stringify(rfc3339(new Date(now + value.relativeMs), value.style));
}
