import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSetPlan } from './domain/index.js';
import { billingContext } from './context.js';
import { planMessage } from './wire.js';

/** Operator: replaces the organization's plan for a metric (one plan per metric). */
export default defineGrpcFunction({
  method: BillingRpc.setPlan,
  context: billingContext,
  operatorOnly: true,
  async handle(request, { billing }) {
    return { plan: planMessage(await billing.setPlan(validateSetPlan(request))) };
  },
});
