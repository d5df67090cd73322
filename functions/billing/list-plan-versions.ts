import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { billingContext } from './context.js';
import { planMessage } from './wire.js';

/** Operator: an organization's price history, every version by metric and filter, newest first. */
export default defineGrpcFunction({
  method: BillingRpc.listPlanVersions,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { billing }) {
    const versions = await billing.listPlanVersions(requireUuid('organization_id', request.organizationId));
    return { plans: versions.map(planMessage) };
  },
});
