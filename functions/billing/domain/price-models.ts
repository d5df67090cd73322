/**
 * Pricing models, pure and exact. A plan prices its metric's period quantity
 * with one model; `charge` gives the exact amount, which the invoice line
 * rounds half-up once to the currency's minor unit (see `minorUnits`):
 * - PER_UNIT: max(0, q − freeQuota) × unitPrice.
 * - GRADUATED: each unit at the rate of the tier it falls in, plus the flat
 *   price of every tier reached.
 * - VOLUME: every unit at the rate of the tier the whole quantity falls in,
 *   plus that tier's flat price.
 * - PACKAGE: ceil(max(0, q − freeQuota) / packageSize) × packagePrice.
 * Tier i covers (upTo[i−1], upTo[i]], the first from 0. The last tier takes
 * every quantity above the tier before it, whether or not it has an upTo, so
 * no usage is ever left unpriced. Zero usage charges no flat price.
 */
import { Decimal } from '../../../shared/decimal.js';
import type { FieldProblem } from '../../../shared/errors.js';
import { billingLimits } from './limits.js';

export const PricingModel = { PerUnit: 'PER_UNIT', Graduated: 'GRADUATED', Volume: 'VOLUME', Package: 'PACKAGE' } as const;
export type PricingModel = (typeof PricingModel)[keyof typeof PricingModel];

/** One tier of a GRADUATED or VOLUME price; no upTo only on the last tier. */
export interface PriceTier {
  upTo?: Decimal;
  unitPrice: Decimal;
  flatPrice: Decimal;
}

export type Price =
  | { model: 'PER_UNIT'; unitPrice: Decimal; freeQuota: Decimal }
  | { model: 'GRADUATED' | 'VOLUME'; tiers: readonly PriceTier[] }
  | { model: 'PACKAGE'; packageSize: Decimal; packagePrice: Decimal; freeQuota: Decimal };

const maxTiers = 20;

/** The exact, unrounded charge for `quantity`, and what a line shows (billable quantity: after the free quota; for tiers, the quantity). */
export function charge(price: Price, quantity: Decimal): { billableQuantity: Decimal; amount: Decimal } {
  if (quantity.isNegative()) throw new RangeError(`quantity must be ≥ 0, not ${quantity.toString()}`);
  switch (price.model) {
    case PricingModel.PerUnit: {
      const billableQuantity = afterFreeQuota(quantity, price.freeQuota);
      return { billableQuantity, amount: billableQuantity.mul(price.unitPrice) };
    }
    case PricingModel.Graduated:
      return { billableQuantity: quantity, amount: graduated(price.tiers, quantity) };
    case PricingModel.Volume:
      return { billableQuantity: quantity, amount: volume(price.tiers, quantity) };
    case PricingModel.Package: {
      const billableQuantity = afterFreeQuota(quantity, price.freeQuota);
      return { billableQuantity, amount: billableQuantity.divCeil(price.packageSize).mul(price.packagePrice) };
    }
    default:
      // The type rules this out; a price read from the database may still carry any model.
      throw new RangeError(`unknown pricing model: ${String((price as { model: unknown }).model)}`);
  }
}

function afterFreeQuota(quantity: Decimal, freeQuota: Decimal): Decimal {
  return Decimal.max(Decimal.zero, quantity.sub(freeQuota));
}

function graduated(tiers: readonly PriceTier[], quantity: Decimal): Decimal {
  let amount = Decimal.zero;
  let lower = Decimal.zero;
  for (const [i, tier] of tiers.entries()) {
    if (quantity.cmp(lower) <= 0) break; // not reached: q > 0 reaches the first tier, q > upTo[i−1] the others
    const isLast = i === tiers.length - 1;
    const upper = isLast || !tier.upTo ? quantity : minimum(quantity, tier.upTo);
    amount = amount.add(upper.sub(lower).mul(tier.unitPrice)).add(tier.flatPrice);
    if (!tier.upTo) break;
    lower = tier.upTo;
  }
  return amount;
}

function volume(tiers: readonly PriceTier[], quantity: Decimal): Decimal {
  if (quantity.isZero()) return Decimal.zero;
  const tier = tiers.find((t, i) => i === tiers.length - 1 || !t.upTo || t.upTo.cmp(quantity) >= 0);
  return tier ? quantity.mul(tier.unitPrice).add(tier.flatPrice) : Decimal.zero;
}

function minimum(a: Decimal, b: Decimal): Decimal {
  return a.cmp(b) <= 0 ? a : b;
}

/** Problems with a price, each naming its field as the RPC names it (`tiers[1].up_to`, `package_size`, `unit_price`, `free_quota`, …): tiers ascending strictly by upTo, only the last without upTo, at least one tier, prices ≥ 0, packageSize > 0, at most 12 decimal places and below 10^26 for every amount, at most 20 tiers. Returns [] when valid. */
export function priceProblems(price: Price): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const check = (field: string, value: Decimal) => {
    const message = amountProblem(value);
    if (message) problems.push({ field, message });
    return !message;
  };
  switch (price.model) {
    case PricingModel.PerUnit:
      check('unit_price', price.unitPrice);
      check('free_quota', price.freeQuota);
      break;
    case PricingModel.Graduated:
    case PricingModel.Volume:
      if (price.tiers.length === 0) problems.push({ field: 'tiers', message: 'must have at least one tier' });
      if (price.tiers.length > maxTiers) problems.push({ field: 'tiers', message: `must have at most ${maxTiers} tiers` });
      price.tiers.forEach((tier, i) => {
        const field = `tiers[${i}]`;
        const previous = i === 0 ? Decimal.zero : price.tiers[i - 1]!.upTo;
        if (tier.upTo) {
          // A bad or missing previous bound has its own problem; comparing against it would only echo that one.
          if (check(`${field}.up_to`, tier.upTo) && previous && amountProblem(previous) === undefined && tier.upTo.cmp(previous) <= 0) {
            problems.push({ field: `${field}.up_to`, message: i === 0 ? 'must be greater than 0' : `must be greater than tiers[${i - 1}].up_to` });
          }
        } else if (i < price.tiers.length - 1) {
          problems.push({ field: `${field}.up_to`, message: 'is required on every tier but the last' });
        }
        check(`${field}.unit_price`, tier.unitPrice);
        check(`${field}.flat_price`, tier.flatPrice);
      });
      break;
    case PricingModel.Package:
      if (price.packageSize.isNegative() || price.packageSize.isZero()) problems.push({ field: 'package_size', message: 'must be greater than 0' });
      else check('package_size', price.packageSize);
      check('package_price', price.packagePrice);
      check('free_quota', price.freeQuota);
      break;
    default:
      // The type rules this out; a price read from the wire may still carry any model.
      problems.push({ field: 'model', message: `must be one of ${Object.values(PricingModel).join(', ')}` });
  }
  return problems;
}

function amountProblem(value: Decimal): string | undefined {
  if (value.isNegative()) return 'must be ≥ 0';
  if (value.decimalPlaces > billingLimits.decimalPlaces) return `must have at most ${billingLimits.decimalPlaces} decimal places`;
  if (value.integerDigits > billingLimits.integerDigits) return `must be below 10^${billingLimits.integerDigits}`;
  return undefined;
}
