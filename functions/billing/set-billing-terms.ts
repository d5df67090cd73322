import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSetTerms } from './domain/index.js';
import { billingContext } from './context.js';
import { termsMessage } from './wire.js';

/** Operator: sets an organization's billing time zone (before its first invoice), recurring fee and minimum. */
export default defineGrpcFunction({
  method: BillingRpc.setBillingTerms,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { billing }) {
    return termsMessage(await billing.setTerms(validateSetTerms(request)));
  },
  audit: (_request, terms) => ({ action: 'billing_terms.set', target: `billing_terms:${terms.organizationId}`, organizationId: terms.organizationId }),
});
