/** ISO 4217 currencies as Node's ICU knows them, with their minor units (USD 2, JPY 0, BHD 3). */

const known = new Set(Intl.supportedValuesOf('currency'));

export function isKnownCurrency(code: string): boolean {
  return known.has(code);
}

/** Digits after the point in the currency's smallest unit. */
export function minorUnits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export const defaultCurrency = 'USD';
