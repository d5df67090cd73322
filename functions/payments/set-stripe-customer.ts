import { PaymentsService as PaymentsRpc } from '../../proto/gen/polaris/payments/v1/payments.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSetCustomer } from './domain/index.js';
import { paymentsContext } from './context.js';
import { customerMessage, methodFromRpc } from './wire.js';

/** Operator: links an organization to a Stripe customer (made in Stripe when none is given) and sets how its invoices are collected. */
export default defineGrpcFunction({
  method: PaymentsRpc.setStripeCustomer,
  context: paymentsContext,
  operatorOnly: true,
  async handle(request, { customers }) {
    const input = validateSetCustomer({ ...request, collectionMethod: methodFromRpc(request.collectionMethod) });
    const { link, created } = await customers.setLink(input);
    return { customer: customerMessage(link), created };
  },
  audit: (_request, { customer }) => ({ action: 'stripe_customer.set', target: `stripe_customer:${customer!.customerId}`, organizationId: customer!.organizationId }),
});
