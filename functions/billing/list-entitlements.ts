import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { billingContext } from './context.js';
import { entitlementMessage } from './wire.js';

/** An organization's entitlements, by feature. */
export default defineGrpcFunction({
  method: BillingRpc.listEntitlements,
  context: billingContext,
  async handle(request, { entitlements }) {
    return { entitlements: (await entitlements.list(requireUuid('organization_id', request.organizationId))).map(entitlementMessage) };
  },
});
