/** Instants as RFC 3339 text in every spelling the format allows, and timestamps that are odd or unacceptable. */
import fc from 'fast-check';
import { hostileString } from './text.js';

/** How rfc3339() spells an instant: Z or z or an offset, 0–9 fraction digits, an upper- or lower-case T. */
export interface TimestampStyle {
  offsetMinutes: number;
  fractionDigits: number;
  lowerT: boolean;
  lowerZ: boolean;
}

/** RFC 3339 text for `at`, spelled as `style` says. */
export function rfc3339(at: Date, style: TimestampStyle): string {
  const local = new Date(at.getTime() + style.offsetMinutes * 60_000);
  const base = local.toISOString().slice(0, 19);
  const nanos = String(at.getTime() % 1000).padStart(3, '0') + '000000';
  const fraction = style.fractionDigits > 0 ? `.${nanos.slice(0, style.fractionDigits)}` : '';
  const sign = style.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(style.offsetMinutes);
  const zone =
    style.offsetMinutes === 0 ? (style.lowerZ ? 'z' : 'Z') : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  const text = `${base}${fraction}${zone}`;
  return style.lowerT ? text.replace('T', 't') : text;
}

export const timestampStyle: fc.Arbitrary<TimestampStyle> = fc.record({
  offsetMinutes: fc.oneof(fc.constant(0), fc.integer({ min: -12 * 60, max: 14 * 60 })),
  fractionDigits: fc.integer({ min: 0, max: 9 }),
  lowerT: fc.boolean(),
  lowerZ: fc.boolean(),
});

/** Timestamps as text that are odd or not acceptable: bad format, bad date, out of range, or any string. */
export const hostileTimestampText = fc.oneof(
  fc.constantFrom(
    'yesterday',
    '25/11/2026',
    '2026-11-25',
    '2026-11-25T10:00:00',
    '2026-11-25 10:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-32T00:00:00Z',
    '2026-01-01T24:00:01Z',
    '2026-01-01T00:60:00Z',
    '2026-01-01T00:00:00+25:00',
    '2026-01-01T00:00:00+99:99',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '+275760-09-13T00:00:00Z',
    '1970-01-01T00:00:00Z',
    '2026-01-01T00:00:00.1234567890Z',
    '2026-01-01T00:00:00.Z',
    ' 2026-01-01T00:00:00Z',
    '',
  ),
  hostileString,
);
