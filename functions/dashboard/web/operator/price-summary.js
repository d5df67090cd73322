/** A plan's price and filter in a line of words, as the plans table and the history show them. */
import { formatDecimal } from '../format.js';

/** @typedef {import('../types').Plan} Plan */

/** @type {Record<import('../types').PricingModel, string>} */
export const modelNames = { PER_UNIT: 'Per unit', GRADUATED: 'Graduated', VOLUME: 'Volume', PACKAGE: 'Package' };

/**
 * `0.002 per unit, first 1,000 free`; `up to 1,000 at 0.01; up to 10,000 at
 * 0.005 + 2; above at 0.001`; `1.5 per 100 units, first 50 free`.
 * @param {Plan} plan
 */
export function priceSummary(plan) {
  const free = plan.freeQuota && plan.freeQuota !== '0' ? `, first ${formatDecimal(plan.freeQuota)} free` : '';
  switch (plan.model) {
    case 'GRADUATED':
    case 'VOLUME':
      return plan.tiers
        .map((tier) => {
          const flat = tier.flatPrice && tier.flatPrice !== '0' ? ` + ${formatDecimal(tier.flatPrice)}` : '';
          return `${tier.upTo ? `up to ${formatDecimal(tier.upTo)}` : 'above'} at ${formatDecimal(tier.unitPrice)}${flat}`;
        })
        .join('; ');
    case 'PACKAGE':
      return `${formatDecimal(plan.packagePrice ?? '0')} per ${formatDecimal(plan.packageSize ?? '0')} units${free}`;
    default:
      return `${formatDecimal(plan.unitPrice)} per unit${free}`;
  }
}

/**
 * `model = gpt-4, gpt-4o`: the property values a plan prices, by key; '' for all usage.
 * @param {Plan['where']} where
 */
export const whereSummary = (where) => byKey(where).map(([key, values]) => `${key} = ${values.join(', ')}`).join('; ');

/**
 * `model=gpt-4,gpt-4o; region=eu`, as the plan form takes it.
 * @param {Plan['where']} where
 */
export const whereText = (where) => byKey(where).map(([key, values]) => `${key}=${values.join(',')}`).join('; ');

/** @param {Plan['where']} where @returns {[string, string[]][]} */
function byKey(where) {
  /** @type {Map<string, string[]>} */
  const keys = new Map();
  for (const { key, value } of where) keys.set(key, [...(keys.get(key) ?? []), value ?? '']);
  return [...keys];
}
