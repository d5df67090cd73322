import { UsageService as UsageRpc } from '../../proto/gen/polaris/usage/v1/usage.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { usageContext } from './context.js';
import { meterMessage } from './wire.js';

/** Every meter, by metric. Metrics without one are SUM meters and are not listed. */
export default defineGrpcFunction({
  method: UsageRpc.listMeters,
  context: usageContext,
  async handle(_request, { usage }) {
    return { meters: (await usage.listMeters()).map(meterMessage) };
  },
});
