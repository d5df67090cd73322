/**
 * Amounts as Stripe takes them: an integer count of the currency's smallest
 * unit (cents for USD, yen for JPY), from billing's exact decimal strings,
 * with the minor units billing rounds to. No float takes part.
 */
import { minorUnits } from '../../../shared/currency.js';
import { Decimal } from '../../../shared/decimal.js';
import { ValidationError } from '../../../shared/errors.js';

/**
 * `"12.34"` USD → 1234, `"1500"` JPY → 1500, `"-0.50"` EUR → -50. An amount
 * finer than the currency (billing's never are) is rounded half-up first.
 *
 * @throws ValidationError naming `field` for text that is no decimal, or an
 *   amount beyond what a JavaScript number (and so the Stripe package) holds exactly.
 */
export function toMinorUnits(amount: string, currency: string, field = 'amount'): number {
  const value = Decimal.parse(amount);
  if (!value) throw new ValidationError([{ field, message: 'must be a decimal number' }]);
  const places = minorUnits(currency);
  const rounded = value.roundHalfUp(places);
  const units = rounded.units * 10n ** BigInt(places - rounded.decimalPlaces);
  if (units > BigInt(Number.MAX_SAFE_INTEGER) || units < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ValidationError([{ field, message: `${amount} ${currency} is more than Stripe takes in one amount` }]);
  }
  return Number(units);
}
