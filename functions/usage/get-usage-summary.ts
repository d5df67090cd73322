import { UsageService as UsageRpc } from '../../proto/gen/polaris/usage/v1/usage.js';
import { ValidationError } from '../../shared/errors.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateSummaryQuery } from './domain/index.js';
import { usageContext } from './context.js';
import { windowSizeFromRpc } from './wire.js';

/** A metric's (or every metric's) values over [from, to), by window in a time zone and by group; default DAY windows of the current UTC month. */
export default defineGrpcFunction({
  method: UsageRpc.getUsageSummary,
  context: usageContext,
  async handle(request, { usage }) {
    const windowSize = windowSizeFromRpc(request.windowSize);
    if (windowSize === undefined) throw new ValidationError([{ field: 'window_size', message: 'must be HOUR, DAY, MONTH or PERIOD' }]);
    return { aggregates: await usage.summary(validateSummaryQuery({ ...request, windowSize }, new Date())) };
  },
});
