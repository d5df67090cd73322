import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { billingContext } from './context.js';
import { usageAlertMessage } from './wire.js';

/** An organization's usage alerts, oldest first, each with the thresholds it reached, newest period first. */
export default defineGrpcFunction({
  method: BillingRpc.listUsageAlerts,
  context: billingContext,
  async handle(request, { alerts }) {
    return { alerts: (await alerts.list(requireUuid('organization_id', request.organizationId))).map(usageAlertMessage) };
  },
});
