import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { billingContext } from './context.js';
import { invoiceMessage } from './wire.js';

/** Operator: prices the invoice from current usage once more and freezes it; later usage never changes it. */
export default defineGrpcFunction({
  method: BillingRpc.finalizeInvoice,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { billing }) {
    return { invoice: invoiceMessage(await billing.finalizeInvoice(requireUuid('invoice_id', request.invoiceId))) };
  },
  audit: (_request, { invoice }) => ({ action: 'invoice.finalize', target: `invoice:${invoice!.id}`, organizationId: invoice!.organizationId }),
});
