import { PaymentsService as PaymentsRpc } from '../../proto/gen/polaris/payments/v1/payments.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateOrganizationId } from './domain/index.js';
import { paymentsContext } from './context.js';
import { customerMessage } from './wire.js';

/** The organization's Stripe customer, if linked; the caller (the gateway) checks who may see it. */
export default defineGrpcFunction({
  method: PaymentsRpc.getStripeCustomer,
  context: paymentsContext,
  async handle(request, { customers }) {
    const link = await customers.link(validateOrganizationId(request.organizationId));
    return { customer: link && customerMessage(link) };
  },
});
