/** The bounds of Billing's inputs: what validation allows, and what prices are kept to. */
export const billingLimits = {
  planNameLength: 100,
  /** Digits after the point of a price or quota. */
  decimalPlaces: 12,
  integerDigits: 26,
  /** Longest invoice period, in days. */
  periodMaxDays: 366,
  voidReasonLength: 500,
  /** Property filters a plan may have, and values each. */
  filterKeys: 8,
  filterValues: 100,
} as const;
