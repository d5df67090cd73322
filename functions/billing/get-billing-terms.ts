import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { billingContext } from './context.js';
import { termsMessage } from './wire.js';

/** An organization's billing time zone, recurring fee and minimum. */
export default defineGrpcFunction({
  method: BillingRpc.getBillingTerms,
  context: billingContext,
  async handle(request, { billing }) {
    return termsMessage(await billing.terms(requireUuid('organization_id', request.organizationId)));
  },
});
