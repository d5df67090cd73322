import { PaymentsService as PaymentsRpc } from '../../proto/gen/polaris/payments/v1/payments.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { paymentsContext } from './context.js';

/**
 * Operator: takes a finalized invoice to Stripe now, as its finalized event
 * does: for one finalized before its organization was linked, or to see at
 * once how far one got. Safe to repeat.
 */
export default defineGrpcFunction({
  method: PaymentsRpc.sendInvoice,
  context: paymentsContext,
  operatorOnly: true,
  async handle(request, { sender }) {
    return { state: await sender.sendNow(requireUuid('invoice_id', request.invoiceId)) };
  },
  audit: (request) => ({ action: 'invoice.send_to_stripe', target: `invoice:${request.invoiceId.toLowerCase()}` }),
});
