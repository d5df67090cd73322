import { UsageService as UsageRpc } from '../../proto/gen/polaris/usage/v1/usage.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSummaryQuery } from './domain/index.js';
import { usageContext } from './context.js';

/** Daily aggregates of one metric (or all) over [from, to); default the current UTC month. */
export default defineGrpcFunction({
  method: UsageRpc.getUsageSummary,
  context: usageContext,
  async handle(request, { usage }) {
    return { aggregates: await usage.summary(validateSummaryQuery(request, new Date())) };
  },
});
