import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateFeatureRef } from './domain/index.js';
import { billingContext } from './context.js';

/** Operator: an organization no longer has the feature (a check answers no access). */
export default defineGrpcFunction({
  method: BillingRpc.deleteEntitlement,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { entitlements }) {
    const { orgId, feature } = validateFeatureRef(request);
    return { deleted: await entitlements.delete(orgId, feature) };
  },
  audit: (request, { deleted }) =>
    deleted ? { action: 'entitlement.delete', target: `entitlement:${request.organizationId.toLowerCase()}/${request.feature}`, organizationId: request.organizationId.toLowerCase() } : undefined,
});
