import { UsageService as UsageRpc } from '../../proto/gen/polaris/usage/v1/usage.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { usageContext } from './context.js';

/** Operator: the raw events kept, month by month, and what retention has dropped. */
export default defineGrpcFunction({
  method: UsageRpc.getEventStorage,
  operatorOnly: true,
  context: usageContext,
  async handle(_request, { usage }) {
    const { retentionMonths, retainedSince, months } = await usage.eventStorage();
    return { retentionMonths, retainedSince: retainedSince?.toISOString() ?? '', months };
  },
});
