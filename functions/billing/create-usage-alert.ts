import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateCreateUsageAlert } from './domain/index.js';
import { billingContext } from './context.js';
import { usageAlertMessage } from './wire.js';

/** Operator (the gateway makes it for an organization's managers): an alert on a budget, evaluated at once on the current period. */
export default defineGrpcFunction({
  method: BillingRpc.createUsageAlert,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { alerts }) {
    return { alert: usageAlertMessage(await alerts.create(validateCreateUsageAlert(request))) };
  },
  audit: (_request, { alert }) => ({ action: 'usage_alert.create', target: `usage_alert:${alert!.id}`, organizationId: alert!.organizationId }),
});
