import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSetEntitlement } from './domain/index.js';
import { billingContext } from './context.js';
import { entitlementMessage } from './wire.js';

/** Operator: what an organization may use, a feature on or off or a metric limited per billing period. */
export default defineGrpcFunction({
  method: BillingRpc.setEntitlement,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { entitlements }) {
    return { entitlement: entitlementMessage(await entitlements.set(validateSetEntitlement(request))) };
  },
  audit: (_request, { entitlement }) => ({
    action: 'entitlement.set',
    target: `entitlement:${entitlement!.id}`,
    organizationId: entitlement!.organizationId,
  }),
});
