import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { billingContext } from './context.js';
import { planMessage } from './wire.js';

/** An organization's prices in effect in its current billing period, by metric and filter. */
export default defineGrpcFunction({
  method: BillingRpc.listPlans,
  context: billingContext,
  async handle(request, { billing }) {
    const plans = await billing.listPlans(requireUuid('organization_id', request.organizationId));
    return { plans: plans.map(planMessage) };
  },
});
