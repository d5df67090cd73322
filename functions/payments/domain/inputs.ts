/** The payments service's inputs and their validators, reporting every problem at once. */
import { Problems } from '../../../shared/errors.js';
import { isUuid } from '../../../shared/validation.js';

/** How Stripe collects an organization's invoices. */
export const CollectionMethod = {
  /** Stripe charges the customer's default payment method. */
  ChargeAutomatically: 'charge_automatically',
  /** Stripe emails the invoice, to be paid within `daysUntilDue` days. */
  SendInvoice: 'send_invoice',
} as const;
export type CollectionMethod = (typeof CollectionMethod)[keyof typeof CollectionMethod];

export const paymentsLimits = {
  customerIdLength: 255,
  minDaysUntilDue: 1,
  maxDaysUntilDue: 365,
  /** A send_invoice link's days to pay when none were ever given. */
  defaultDaysUntilDue: 30,
} as const;

/** Stripe's customer ids: `cus_` and letters and digits. */
const customerIdPattern = /^cus_[A-Za-z0-9]+$/;

export interface SetCustomerInput {
  organizationId: string;
  /** Undefined: the organization's current customer, else a new one made in Stripe. */
  customerId?: string;
  /** Undefined: the link's current method, else charge_automatically. */
  collectionMethod?: CollectionMethod;
  /** Undefined: the link's current value, else 30 (send_invoice only). */
  daysUntilDue?: number;
}

/** The wire's SetStripeCustomer: '' for an unspecified method, 'UNKNOWN' for a value this version does not know, 0 days for none. */
export interface SetCustomerFields {
  organizationId: string;
  customerId: string;
  collectionMethod: CollectionMethod | '' | 'UNKNOWN';
  daysUntilDue: number;
}

export function validateSetCustomer(input: SetCustomerFields): SetCustomerInput {
  const problems = new Problems();
  checkOrganizationId(problems, input.organizationId);
  if (input.customerId !== '') {
    problems.check(
      customerIdPattern.test(input.customerId) && input.customerId.length <= paymentsLimits.customerIdLength,
      'customer_id',
      `must be a Stripe customer id (cus_ and up to ${paymentsLimits.customerIdLength - 4} letters and digits)`,
    );
  }
  problems.check(input.collectionMethod !== 'UNKNOWN', 'collection_method', `must be ${Object.values(CollectionMethod).join(' or ')}`);
  const { minDaysUntilDue: min, maxDaysUntilDue: max } = paymentsLimits;
  if (input.daysUntilDue !== 0) {
    if (problems.check(Number.isInteger(input.daysUntilDue) && input.daysUntilDue >= min && input.daysUntilDue <= max, 'days_until_due', `must be ${min} to ${max}`)) {
      problems.check(input.collectionMethod !== CollectionMethod.ChargeAutomatically, 'days_until_due', 'applies to send_invoice only');
    }
  }
  problems.throwIfAny();
  return {
    organizationId: input.organizationId.toLowerCase(),
    customerId: input.customerId || undefined,
    collectionMethod: input.collectionMethod === '' ? undefined : (input.collectionMethod as CollectionMethod),
    daysUntilDue: input.daysUntilDue || undefined,
  };
}

/** An organization id, lower-cased. */
export function validateOrganizationId(organizationId: string): string {
  const problems = new Problems();
  checkOrganizationId(problems, organizationId);
  problems.throwIfAny();
  return organizationId.toLowerCase();
}

function checkOrganizationId(problems: Problems, organizationId: string): void {
  if (problems.check(organizationId !== '', 'organization_id', 'is required')) problems.check(isUuid(organizationId), 'organization_id', 'must be a UUID');
}
