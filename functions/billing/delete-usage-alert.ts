import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateDeleteUsageAlert } from './domain/index.js';
import { billingContext } from './context.js';
import { usageAlertMessage } from './wire.js';

/** Operator (the gateway deletes for an organization's managers, naming their organization): an alert and its crossings. */
export default defineGrpcFunction({
  method: BillingRpc.deleteUsageAlert,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { alerts }) {
    return { alert: usageAlertMessage(await alerts.delete(validateDeleteUsageAlert(request))) };
  },
  audit: (_request, { alert }) => ({ action: 'usage_alert.delete', target: `usage_alert:${alert!.id}`, organizationId: alert!.organizationId }),
});
