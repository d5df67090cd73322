import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSetPlan } from './domain/index.js';
import { billingContext } from './context.js';
import { modelFromRpc, planMessage } from './wire.js';

/** Operator: sets a metric's price (per property filter, if any) from the start of a billing period on. */
export default defineGrpcFunction({
  method: BillingRpc.setPlan,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { billing }) {
    return { plan: planMessage(await billing.setPlan(validateSetPlan({ ...request, model: modelFromRpc(request.model) }))) };
  },
  audit: (_request, { plan }) => ({ action: 'plan.set', target: `plan:${plan!.id}`, organizationId: plan!.organizationId }),
});
