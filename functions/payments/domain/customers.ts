/**
 * Organizations linked to Stripe customers. A link names the customer and
 * how Stripe collects the organization's invoices; without a customer id,
 * the organization's current customer is kept, or one is made in Stripe
 * (once: the request carries the organization's idempotency key).
 */
import { ValidationError } from '../../../shared/errors.js';
import { CustomerRequiredError, UnknownCustomerError } from './errors.js';
import { CollectionMethod, paymentsLimits, type SetCustomerInput } from './inputs.js';
import type { CustomerLink, PaymentsStore } from './store.js';
import { idempotencyKey, isMissingResource, publicStripeError, type StripeClient } from './stripe.js';

/** Identity's view of an organization; throws NotFound for one that does not exist. */
export type OrganizationLookup = (orgId: string) => Promise<{ id: string; name: string }>;

export class StripeCustomers {
  constructor(
    private readonly store: PaymentsStore,
    /** Undefined while Stripe is off. */
    private readonly stripe: StripeClient | undefined,
    private readonly organization: OrganizationLookup,
  ) {}

  /** The organization's link, if it has one. */
  link(orgId: string): Promise<CustomerLink | undefined> {
    return this.store.customer(orgId);
  }

  /** Links the organization; `created` when the customer was made in Stripe by this call. */
  async setLink(input: SetCustomerInput): Promise<{ link: CustomerLink; created: boolean }> {
    const organization = await this.organization(input.organizationId);
    const current = await this.store.customer(organization.id);
    const collectionMethod = input.collectionMethod ?? current?.collectionMethod ?? CollectionMethod.ChargeAutomatically;
    if (collectionMethod === CollectionMethod.ChargeAutomatically && input.daysUntilDue !== undefined) {
      throw new ValidationError([{ field: 'days_until_due', message: 'applies to send_invoice only' }]);
    }
    const daysUntilDue =
      collectionMethod === CollectionMethod.SendInvoice ? (input.daysUntilDue ?? current?.daysUntilDue ?? paymentsLimits.defaultDaysUntilDue) : undefined;

    let customerId = input.customerId ?? current?.customerId;
    let created = false;
    if (customerId && input.customerId) await this.requireCustomer(customerId);
    if (!customerId) {
      customerId = await this.createCustomer(organization);
      created = true;
    }
    const link = await this.store.saveCustomer({ orgId: organization.id, customerId, collectionMethod, daysUntilDue });
    return { link, created };
  }

  /** A customer named by the operator exists in the account (checked only while Stripe is on). */
  private async requireCustomer(customerId: string): Promise<void> {
    if (!this.stripe) return;
    try {
      const customer = await (await this.stripe()).customers.retrieve(customerId);
      if (customer.deleted) throw new UnknownCustomerError(customerId);
    } catch (err) {
      if (isMissingResource(err)) throw new UnknownCustomerError(customerId);
      throw publicStripeError(err);
    }
  }

  private async createCustomer(organization: { id: string; name: string }): Promise<string> {
    if (!this.stripe) throw new CustomerRequiredError();
    try {
      const customer = await (await this.stripe()).customers.create(
        { name: organization.name, metadata: { polaris_organization_id: organization.id } },
        { idempotencyKey: idempotencyKey('organization', organization.id, 'customer') },
      );
      return customer.id;
    } catch (err) {
      throw publicStripeError(err);
    }
  }
}
