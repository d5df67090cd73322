import { UsageService as UsageRpc } from '../../proto/gen/polaris/usage/v1/usage.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateMeter } from './domain/index.js';
import { usageContext } from './context.js';
import { aggregationFromRpc, meterMessage } from './wire.js';

/** Operator: defines how a metric is measured, or changes its name and group-by keys. */
export default defineGrpcFunction({
  method: UsageRpc.createMeter,
  operatorOnly: true,
  context: usageContext,
  async handle(request, { usage }) {
    const meter = validateMeter({ ...request, aggregation: aggregationFromRpc(request.aggregation) });
    return meterMessage(await usage.saveMeter(meter));
  },
  // Meters are the operator's, shared by every organization.
  audit: (_request, response) => ({ action: 'meter.create', target: `meter:${response.metric}` }),
});
