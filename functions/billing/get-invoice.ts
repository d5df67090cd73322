import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { billingContext } from './context.js';
import { invoiceMessage } from './wire.js';

/** One invoice with its lines; the caller (the gateway, the invoice document) checks who may see it. */
export default defineGrpcFunction({
  method: BillingRpc.getInvoice,
  context: billingContext,
  async handle(request, { billing }) {
    return { invoice: invoiceMessage(await billing.findInvoice(requireUuid('invoice_id', request.invoiceId))) };
  },
});
