import { ValidationError } from '../../../shared/errors.js';

/** Stripe is off (STRIPE_SECRET_KEY unset), so Polaris cannot make the customer: the operator must name one. */
export class CustomerRequiredError extends ValidationError {
  override name = 'CustomerRequiredError';
  constructor() {
    super([{ field: 'customer_id', message: 'is required while Stripe is off: set STRIPE_SECRET_KEY to have Polaris create the customer in Stripe' }]);
  }
}

/** The customer id names no customer in the Stripe account (or a deleted one). */
export class UnknownCustomerError extends ValidationError {
  override name = 'UnknownCustomerError';
  constructor(customerId: string) {
    super([{ field: 'customer_id', message: `${customerId} is no customer of this Stripe account` }]);
  }
}
