/**
 * Figures as people read them. Money and exact quantities arrive as decimal
 * strings and are only regrouped, never turned into floating point.
 */

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });
const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const weekdayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** @param {number} value a usage total (the API's Float) */
export function formatNumber(value) {
  return numberFormat.format(value);
}

const byteUnits = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'];

/** @param {number} bytes a size on disk, as the locale writes it in the largest unit it reaches (powers of 1000, as kB says) */
export function formatBytes(bytes) {
  const power = Math.min(byteUnits.length - 1, Math.max(0, Math.floor(Math.log10(Math.max(bytes, 1)) / 3)));
  return new Intl.NumberFormat(undefined, { style: 'unit', unit: byteUnits[power], unitDisplay: 'short', maximumFractionDigits: 1 }).format(bytes / 1000 ** power);
}

/**
 * An exact decimal string with the locale's separators: `"12345.5"` → `12,345.5`.
 * @param {string} decimal
 * @param {number} [minimumFractionDigits] zeros added on the right, which change no value
 */
export function formatDecimal(decimal, minimumFractionDigits = 0) {
  const { group, decimal: point } = separators();
  const negative = decimal.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? decimal.slice(1) : decimal).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const digits = fraction.padEnd(minimumFractionDigits, '0');
  return `${negative ? '-' : ''}${grouped}${digits ? point + digits : ''}`;
}

/**
 * An exact amount in its currency, laid out as the locale writes money
 * (`$1,234.50`, `1.234,50 €`) with the digits of `amount` as they are.
 * @param {string} amount
 * @param {string} currency ISO 4217
 */
export function formatMoney(amount, currency) {
  /** @type {Intl.NumberFormat} */
  let format;
  try {
    format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
  } catch {
    return `${formatDecimal(amount)} ${currency}`;
  }
  const minorDigits = format.resolvedOptions().minimumFractionDigits ?? 2;
  const digits = amount.replace(/^-/, '');
  const [whole = '0', fraction = ''] = digits.split('.');
  const parts = format.formatToParts(amount.startsWith('-') ? -1234.5 : 1234.5);
  // Currencies without a minor unit (JPY) have no fraction part to fill; a unit price may still have decimals.
  const hasFraction = parts.some((part) => part.type === 'fraction');
  let wroteWhole = false;
  return parts
    .map((part) => {
      if (part.type === 'integer' || part.type === 'group') {
        if (wroteWhole) return '';
        wroteWhole = true;
        return hasFraction ? formatDecimal(whole) : formatDecimal(digits);
      }
      if (part.type === 'fraction') return fraction.padEnd(minorDigits, '0');
      return part.value;
    })
    .join('');
}

/**
 * `May 2026` for a calendar month, `3 May 2026 – 17 May 2026` otherwise.
 * @param {string} start RFC 3339
 * @param {string} end RFC 3339, exclusive
 */
export function formatPeriod(start, end) {
  const from = new Date(start);
  const to = new Date(end);
  const wholeMonth =
    from.getUTCDate() === 1 &&
    to.getUTCDate() === 1 &&
    from.getUTCHours() === 0 &&
    to.getUTCHours() === 0 &&
    (to.getUTCFullYear() * 12 + to.getUTCMonth()) - (from.getUTCFullYear() * 12 + from.getUTCMonth()) === 1;
  if (wholeMonth) return monthFormat.format(from);
  return `${dayFormat.format(from)} – ${dayFormat.format(new Date(to.getTime() - 86_400_000))}`;
}

/** @param {Date} date */
export const formatMonth = (date) => monthFormat.format(date);
/** @param {string | Date} date */
export const formatDay = (date) => dayFormat.format(new Date(date));
/** @param {string | Date} date */
export const formatWeekday = (date) => weekdayFormat.format(new Date(date));
/** @param {Date} date local time, for "updated at" */
export const formatTime = (date) => timeFormat.format(date);

/** The start of the current UTC month and of the next. */
export function currentMonth() {
  const now = new Date();
  return {
    start: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)),
  };
}

/** `YYYY-MM-DD` of a UTC date, as date inputs and the API's periods take it. */
export const isoDay = (/** @type {Date} */ date) => date.toISOString().slice(0, 10);

function separators() {
  const parts = new Intl.NumberFormat(undefined).formatToParts(12345.6);
  return {
    group: parts.find((part) => part.type === 'group')?.value ?? ',',
    decimal: parts.find((part) => part.type === 'decimal')?.value ?? '.',
  };
}
