import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSetPaymentStatus } from './domain/index.js';
import { billingContext } from './context.js';
import { invoiceMessage } from './wire.js';

/** Operator (the payments service): records what a payment provider reports of a finalized invoice; only a move forward changes it. */
export default defineGrpcFunction({
  method: BillingRpc.setInvoicePaymentStatus,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { billing }) {
    const { id, paymentStatus } = validateSetPaymentStatus(request);
    const { invoice, changed } = await billing.setPaymentStatus(id, paymentStatus);
    return { invoice: invoiceMessage(invoice), changed };
  },
  audit: (_request, { invoice, changed }) =>
    changed ? { action: 'invoice.set_payment_status', target: `invoice:${invoice!.id}`, organizationId: invoice!.organizationId } : undefined,
});
