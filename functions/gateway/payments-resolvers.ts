/**
 * The fields the payments service answers: an organization's Stripe
 * customer and how its invoices are collected, and the operator's send of an
 * invoice to Stripe. GraphQL's StripeCollectionMethod is the proto's
 * CollectionMethod without its prefix (`SEND_INVOICE` ↔
 * `COLLECTION_METHOD_SEND_INVOICE`); 0 days is null.
 */
import type { Organization } from '../../proto/gen/polaris/identity/v1/identity.js';
import { CollectionMethod, PaymentsService as Payments, type StripeCustomer } from '../../proto/gen/polaris/payments/v1/payments.js';
import { ValidationError } from '../../shared/errors.js';
import { renamingFields } from './errors.js';
import { mutationMetadata, type RequestContext } from './request.js';

type MethodName = 'CHARGE_AUTOMATICALLY' | 'SEND_INVOICE';

const methodPrefix = 'COLLECTION_METHOD_';

const stripeCustomerView = (customer: StripeCustomer) => ({
  customerId: customer.customerId,
  collectionMethod: CollectionMethod[customer.collectionMethod].slice(methodPrefix.length),
  daysUntilDue: customer.daysUntilDue || null,
});

type SetStripeCustomerArgs = { organizationId: string; customerId?: string | null; collectionMethod?: MethodName | null; daysUntilDue?: number | null };

export const paymentsOrganizationFields = {
  stripe: async (parent: Organization, _args: unknown, { gateway }: RequestContext) => {
    const { customer } = await gateway.clients.call(Payments.getStripeCustomer, { organizationId: parent.id });
    return customer ? stripeCustomerView(customer) : null;
  },
};

export const paymentsMutations = {
  setStripeCustomer: async (_root: unknown, args: SetStripeCustomerArgs, context: RequestContext) => {
    // The RPC's 0 is "left out"; here 0 is a value, and too few days.
    if (args.daysUntilDue !== undefined && args.daysUntilDue !== null && args.daysUntilDue < 1) {
      throw new ValidationError([{ field: 'daysUntilDue', message: 'must be at least 1' }]);
    }
    const { customer } = await context.gateway.clients.call(
      Payments.setStripeCustomer,
      {
        organizationId: args.organizationId,
        customerId: args.customerId ?? '',
        collectionMethod: args.collectionMethod ? CollectionMethod[`${methodPrefix}${args.collectionMethod}`] : CollectionMethod.COLLECTION_METHOD_UNSPECIFIED,
        daysUntilDue: args.daysUntilDue ?? 0,
      },
      await mutationMetadata(context),
    );
    return stripeCustomerView(customer!);
  },
  sendInvoiceToStripe: async (_root: unknown, args: { id: string }, context: RequestContext) => {
    const { state } = await context.gateway.clients
      .call(Payments.sendInvoice, { invoiceId: args.id }, await mutationMetadata(context))
      .catch(renamingFields({ invoice_id: 'id' }));
    return state;
  },
};
