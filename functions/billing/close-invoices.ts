import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { billingContext } from './context.js';
import { invoiceMessage } from './wire.js';

/** Operator: finalizes every draft whose period ended more than the grace time ago, as the scheduled run does. */
export default defineGrpcFunction({
  method: BillingRpc.closeInvoices,
  context: billingContext,
  operatorOnly: true,
  async handle(_request, { billing }) {
    return { finalized: (await billing.closeDue()).map(invoiceMessage) };
  },
  // One entry per invoice it finalized, so each organization's log shows its own; none when there was nothing to close.
  audit: (_request, { finalized }) =>
    finalized.map((invoice) => ({ action: 'invoices.close', target: `invoice:${invoice.id}`, organizationId: invoice.organizationId })),
});
