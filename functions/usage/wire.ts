/** Usage's domain values as its RPCs carry them, and back. */
import {
  MeterAggregation as RpcAggregation,
  WindowSize as RpcWindowSize,
  type Meter as MeterMessage,
} from '../../proto/gen/polaris/usage/v1/usage.js';
import { WindowSize } from '../../shared/time-zones.js';
import { MeterAggregation, type Meter } from './domain/index.js';

const aggregationToRpc: Record<MeterAggregation, RpcAggregation> = {
  [MeterAggregation.Sum]: RpcAggregation.METER_AGGREGATION_SUM,
  [MeterAggregation.Count]: RpcAggregation.METER_AGGREGATION_COUNT,
  [MeterAggregation.Max]: RpcAggregation.METER_AGGREGATION_MAX,
  [MeterAggregation.Latest]: RpcAggregation.METER_AGGREGATION_LATEST,
  [MeterAggregation.UniqueCount]: RpcAggregation.METER_AGGREGATION_UNIQUE_COUNT,
};

/** The domain's name for an RPC aggregation; '' for none, for the validator to name. */
export function aggregationFromRpc(aggregation: RpcAggregation): string {
  return Object.entries(aggregationToRpc).find(([, value]) => value === aggregation)?.[0] ?? '';
}

export function meterMessage(meter: Meter): MeterMessage {
  return {
    metric: meter.metric,
    name: meter.name,
    aggregation: aggregationToRpc[meter.aggregation],
    valueProperty: meter.valueProperty ?? '',
    groupBy: [...meter.groupBy],
  };
}

const windowSizes: Partial<Record<RpcWindowSize, WindowSize | ''>> = {
  [RpcWindowSize.WINDOW_SIZE_UNSPECIFIED]: '',
  [RpcWindowSize.WINDOW_SIZE_HOUR]: WindowSize.Hour,
  [RpcWindowSize.WINDOW_SIZE_DAY]: WindowSize.Day,
  [RpcWindowSize.WINDOW_SIZE_MONTH]: WindowSize.Month,
  [RpcWindowSize.WINDOW_SIZE_PERIOD]: WindowSize.Period,
};

/** The domain's window size for an RPC's; undefined for a value this version does not know. */
export function windowSizeFromRpc(size: RpcWindowSize): WindowSize | '' | undefined {
  return windowSizes[size];
}
