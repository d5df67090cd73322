/**
 * ISO 4217 currencies as Node's ICU knows them, with their minor units (USD 2, JPY 0, BHD 3):
 * billing rounds every amount to them, and payments sends Stripe amounts in them.
 */

const known = new Set(Intl.supportedValuesOf('currency'));

export function isKnownCurrency(code: string): boolean {
  return known.has(code);
}

// Building an Intl.NumberFormat takes some 60 µs; ListInvoices asks once per invoice.
const minorUnitsByCurrency = new Map<string, number>();

/** Digits after the point in the currency's smallest unit. */
export function minorUnits(currency: string): number {
  let places = minorUnitsByCurrency.get(currency);
  if (places === undefined) {
    places = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    minorUnitsByCurrency.set(currency, places);
  }
  return places;
}

export const defaultCurrency = 'USD';
