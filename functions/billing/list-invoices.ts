import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { billingContext } from './context.js';
import { invoiceMessage } from './wire.js';

/** An organization's invoices, newest period first. */
export default defineGrpcFunction({
  method: BillingRpc.listInvoices,
  context: billingContext,
  async handle(request, { billing }) {
    const invoices = await billing.listInvoices(requireUuid('organization_id', request.organizationId));
    return { invoices: invoices.map(invoiceMessage) };
  },
});
