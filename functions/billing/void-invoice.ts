import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateVoid } from './domain/index.js';
import { billingContext } from './context.js';
import { invoiceMessage } from './wire.js';

/** Operator: voids a finalized invoice; the next open invoice credits it and bills its period again. */
export default defineGrpcFunction({
  method: BillingRpc.voidInvoice,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { billing }) {
    const { id, reason } = validateVoid(request);
    return { invoice: invoiceMessage(await billing.voidInvoice(id, reason)) };
  },
  audit: (_request, { invoice }) => ({ action: 'invoice.void', target: `invoice:${invoice!.id}`, organizationId: invoice!.organizationId }),
});
