/**
 * The fields the Usage service answers: recording events, meters, and usage
 * by window, time zone and property group. GraphQL's enums are the proto's
 * without their prefix (`HOUR` ↔ `WINDOW_SIZE_HOUR`).
 */
import {
  MeterAggregation,
  UsageService as Usage,
  WindowSize,
  type Meter,
  type PropertyValue,
  type UsageAggregate,
} from '../../proto/gen/polaris/usage/v1/usage.js';
import { tenantOf } from './auth.js';
import { callerOf, mutationMetadata, type RequestContext } from './request.js';

export type UsageArgs = {
  metric: string;
  from?: string | null;
  to?: string | null;
  windowSize?: 'HOUR' | 'DAY' | 'MONTH' | null;
  timeZone?: string | null;
  groupBy?: string[] | null;
  where?: { key: string; values: string[] }[] | null;
};

type RecordUsageArgs = {
  metric: string;
  quantity?: number | null;
  timestamp?: string | null;
  idempotencyKey?: string | null;
  /** Already PropertyValues: the EventProperties scalar parsed them. */
  properties?: Record<string, PropertyValue> | null;
};

type CreateMeterArgs = {
  metric: string;
  name: string;
  aggregation: 'SUM' | 'COUNT' | 'MAX' | 'LATEST' | 'UNIQUE_COUNT';
  valueProperty?: string | null;
  groupBy?: string[] | null;
};

const aggregationPrefix = 'METER_AGGREGATION_';

const meterView = (meter: Meter) => ({
  metric: meter.metric,
  name: meter.name,
  aggregation: MeterAggregation[meter.aggregation].slice(aggregationPrefix.length),
  valueProperty: meter.valueProperty || null,
  groupBy: meter.groupBy,
});

/** `value` is the service's exact decimal, `total` the same as a Float; a key the group's events lack is null. */
const aggregateView = (aggregate: UsageAggregate) => ({
  metric: aggregate.metric,
  total: Number(aggregate.total),
  value: aggregate.total,
  periodStart: aggregate.periodStart,
  periodEnd: aggregate.periodEnd,
  groups: aggregate.groups.map((group) => ({ key: group.key, value: group.present ? group.value : null })),
});

export async function usageOf({ gateway }: RequestContext, organizationId: string, args: UsageArgs) {
  const { aggregates } = await gateway.clients.call(Usage.getUsageSummary, {
    organizationId,
    metric: args.metric,
    from: args.from ?? '',
    to: args.to ?? '',
    windowSize: args.windowSize ? WindowSize[`WINDOW_SIZE_${args.windowSize}`] : WindowSize.WINDOW_SIZE_UNSPECIFIED,
    timeZone: args.timeZone ?? '',
    groupBy: args.groupBy ?? [],
    where: args.where ?? [],
  });
  return aggregates.map(aggregateView);
}

export const usageQueries = {
  usage: async (_root: unknown, args: UsageArgs, context: RequestContext) => usageOf(context, tenantOf(await callerOf(context)).organizationId, args),
  /** Tenants and the operator alike: meters say how metrics are measured, the same for every organization. */
  meters: async (_root: unknown, _args: unknown, context: RequestContext) => (await context.gateway.clients.call(Usage.listMeters, {})).meters.map(meterView),
  usageStorage: async (_root: unknown, _args: unknown, { gateway }: RequestContext) => {
    const { retentionMonths, retainedSince, months } = await gateway.clients.call(Usage.getEventStorage, {}, gateway.operatorMetadata);
    return { retentionMonths, retainedSince: retainedSince || null, months };
  },
};

export const usageMutations = {
  recordUsage: async (_root: unknown, args: RecordUsageArgs, context: RequestContext) => {
    const { organizationId } = tenantOf(await callerOf(context));
    await context.gateway.clients.call(
      Usage.recordUsage,
      {
        organizationId,
        metric: args.metric,
        // Left out (COUNT and UNIQUE_COUNT meters) as the RPC leaves it out: empty.
        quantity: args.quantity === null || args.quantity === undefined ? '' : String(args.quantity),
        timestamp: args.timestamp ?? '',
        idempotencyKey: args.idempotencyKey ?? '',
        properties: args.properties ?? {},
      },
      await mutationMetadata(context),
    );
    return true;
  },
  createMeter: async (_root: unknown, args: CreateMeterArgs, context: RequestContext) => {
    const { gateway } = context;
    const meter = await gateway.clients.call(
      Usage.createMeter,
      {
        metric: args.metric,
        name: args.name,
        aggregation: MeterAggregation[`${aggregationPrefix}${args.aggregation}`],
        valueProperty: args.valueProperty ?? '',
        groupBy: args.groupBy ?? [],
      },
      await mutationMetadata(context),
    );
    return meterView(meter);
  },
};
