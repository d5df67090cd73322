import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateFeatureRef } from './domain/index.js';
import { billingContext } from './context.js';
import { entitlementAnswerMessage } from './wire.js';

/**
 * May the organization use the feature now? For a backend's hot path: the
 * state billing keeps as usage changes, through a cache of at most a second.
 */
export default defineGrpcFunction({
  method: BillingRpc.checkEntitlement,
  context: billingContext,
  async handle(request, { entitlements }) {
    const { orgId, feature } = validateFeatureRef(request);
    return entitlementAnswerMessage(await entitlements.check(orgId, feature));
  },
});
