/**
 * Meters: how a metric's events make a window's value. A metric without a
 * meter is measured by `defaultMeter` (SUM, no groups), the v1 behaviour.
 */
import { Problems } from '../../../shared/errors.js';
import { isStorableText, metricNamePattern, metricNameProblem, storableTextProblem } from '../../../shared/validation.js';
import { propertyKeyPattern, propertyKeyProblem } from './properties.js';

export const MeterAggregation = {
  Sum: 'SUM',
  Count: 'COUNT',
  Max: 'MAX',
  Latest: 'LATEST',
  UniqueCount: 'UNIQUE_COUNT',
} as const;
export type MeterAggregation = (typeof MeterAggregation)[keyof typeof MeterAggregation];

export const meterAggregations: readonly MeterAggregation[] = Object.values(MeterAggregation);

export interface Meter {
  metric: string;
  name: string;
  aggregation: MeterAggregation;
  /** The property UNIQUE_COUNT counts; only for UNIQUE_COUNT. */
  valueProperty?: string;
  /** Property keys usage may be grouped and filtered by. */
  groupBy: readonly string[];
}

export function defaultMeter(metric: string): Meter {
  return { metric, name: metric, aggregation: MeterAggregation.Sum, groupBy: [] };
}

/** COUNT and UNIQUE_COUNT count events, so their events need no quantity (it is stored as 1). */
export function quantityOptional(meter: Meter): boolean {
  return meter.aggregation === MeterAggregation.Count || meter.aggregation === MeterAggregation.UniqueCount;
}

export const meterLimits = {
  nameLength: 128,
  groupByKeys: 8,
} as const;

/** Validates a meter definition; problems name the RPC's fields. */
export function validateMeter(input: { metric: string; name: string; aggregation: string; valueProperty: string; groupBy: readonly string[] }): Meter {
  const problems = new Problems();
  problems.check(metricNamePattern.test(input.metric), 'metric', metricNameProblem);
  const name = input.name.trim();
  if (problems.check(name.length >= 1 && name.length <= meterLimits.nameLength, 'name', `must be 1–${meterLimits.nameLength} characters`)) {
    problems.check(isStorableText(name), 'name', storableTextProblem);
  }
  const aggregation = meterAggregations.find((known) => known === input.aggregation);
  problems.check(aggregation !== undefined, 'aggregation', `must be one of ${meterAggregations.join(', ')}`);
  const valueProperty = input.valueProperty || undefined;
  if (aggregation === MeterAggregation.UniqueCount) {
    if (problems.check(valueProperty !== undefined, 'value_property', 'is required for UNIQUE_COUNT')) {
      problems.check(propertyKeyPattern.test(valueProperty!), 'value_property', propertyKeyProblem);
    }
  } else if (aggregation !== undefined) {
    problems.check(valueProperty === undefined, 'value_property', 'applies to UNIQUE_COUNT only');
  }
  problems.check(input.groupBy.length <= meterLimits.groupByKeys, 'group_by', `must have at most ${meterLimits.groupByKeys} keys`);
  input.groupBy.forEach((key, index) => problems.check(propertyKeyPattern.test(key), `group_by[${index}]`, propertyKeyProblem));
  problems.check(new Set(input.groupBy).size === input.groupBy.length, 'group_by', 'must not repeat a key');
  problems.throwIfAny();
  return { metric: input.metric, name, aggregation: aggregation!, valueProperty, groupBy: [...input.groupBy] };
}
