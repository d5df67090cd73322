import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validatePeriod } from './domain/index.js';
import { billingContext } from './context.js';
import { invoiceMessage } from './wire.js';

/** Operator: prices any period from current aggregates and stores it; the same invoice for the same period. */
export default defineGrpcFunction({
  method: BillingRpc.generateInvoice,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { billing }) {
    const { organizationId, period } = validatePeriod(request);
    return { invoice: invoiceMessage(await billing.generateInvoice(organizationId, period)) };
  },
  audit: (_request, { invoice }) => ({ action: 'invoice.generate', target: `invoice:${invoice!.id}`, organizationId: invoice!.organizationId }),
});
