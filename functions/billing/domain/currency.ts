/** Billing's currencies are shared/currency.ts's: the payments service converts amounts with the same minor units. */
export { defaultCurrency, isKnownCurrency, minorUnits } from '../../../shared/currency.js';
