/**
 * Usage's logic: record events exactly once, measure them with meters,
 * aggregate them incrementally, answer any window in any time zone. Every way
 * an event arrives (ingest, RecordUsage, the gateway) goes through `record`.
 */
import { Counter, Histogram, Gauge, type Registry } from 'prom-client';
import { Batcher } from '../../../shared/batcher.js';
import { Problems, ValidationError, type FieldProblem } from '../../../shared/errors.js';
import { utcDate } from '../../../shared/periods.js';
import { windowsStartingIn } from '../../../shared/time-zones.js';
import { uuidv7 } from '../../../shared/uuid.js';
import type { AggregationStore } from './aggregation-store.js';
import { bucketSpans } from './buckets.js';
import { usageLimits, validateUsageEvent, type RawUsageEvent, type RecordItem, type UsageFieldNames, type UsageSummaryQuery, type ValidationContext } from './inputs.js';
import { MeterCatalog } from './meter-catalog.js';
import type { MeterStore } from './meter-store.js';
import { defaultMeter, type Meter } from './meters.js';
import type { EventMonth, EventPartitionStore, PartitionUpkeep } from './partition-store.js';
import { propertyText, type PropertyLimits } from './properties.js';
import { newUsageEvent, type InsertResult, type NewUsageEvent, type UsageStore } from './store.js';
import type { SummaryStore } from './summary-store.js';

export const RecordStatus = { Accepted: 'accepted', Duplicate: 'duplicate', Rejected: 'rejected' } as const;
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

/** One item of a request whose events go to organizations of their own. */
export type OrganizationItem = { orgId: string; event: RawUsageEvent } | { problems: FieldProblem[] };

/** The fate of one submitted event. */
export type RecordOutcome =
  | { status: typeof RecordStatus.Accepted | typeof RecordStatus.Duplicate; id: string }
  | { status: typeof RecordStatus.Rejected; problems: FieldProblem[] };

/** A window's value, for one group when the query groups. */
export interface WindowUsage {
  metric: string;
  /** Exact decimal. */
  total: string;
  periodStart: string;
  periodEnd: string;
  /** One per group-by key of the query, in its order; `present` false when the events lack the key. */
  groups: { key: string; value: string; present: boolean }[];
}

export interface UsageStores {
  events: UsageStore;
  aggregation: AggregationStore;
  summary: SummaryStore;
  meters: MeterStore;
  partitions: EventPartitionStore;
}

export interface AggregationRun {
  /** Pending events counted by this run. */
  events: number;
  /** (organization, metric, day) totals changed. */
  aggregatesChanged: number;
  durationSeconds: number;
  /** What a run over every organization did to usage_events' months. */
  partitions?: PartitionUpkeep;
}

export interface UsageServiceOptions {
  /** Oldest accepted timestamp, in days before now. */
  maxEventAgeDays: number;
  /** Whole months of raw events kept before the current one; 0 keeps all. */
  retentionMonths: number;
  metrics: Registry;
  /** Batches written at once, each holding a connection (`concurrentWrites` of the pool, in write-concurrency.ts). */
  maxConcurrentWrites: number;
  propertyLimits: PropertyLimits;
  /** Distinct groups one (organization, metric, UTC day) may have. */
  maxGroupsPerDay: number;
  /** How long a process trusts its copy of the meters (other processes' changes show after this). */
  meterCacheSeconds: number;
  now?: () => Date;
}

/** Pending events one aggregation transaction takes at most. */
const aggregationBatchSize = 50_000;

export class UsageService {
  private readonly batcher: Batcher<NewUsageEvent, ReadonlyMap<string, InsertResult>>;
  private readonly events: Counter<'outcome' | 'metric'>;
  private readonly aggregationDuration: Histogram;
  private readonly partitionChanges: Counter<'change'>;
  private readonly now: () => Date;
  private readonly meterCatalog: MeterCatalog;

  constructor(
    private readonly stores: UsageStores,
    private readonly options: UsageServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.meterCatalog = new MeterCatalog(() => stores.meters.list(), { ttlMs: options.meterCacheSeconds * 1000, missReloadMs: 250 });
    // Concurrent requests share statements and commits; see shared/batcher.ts.
    this.batcher = new Batcher((events) => stores.events.insertEvents(events), { maxItems: 2000, maxConcurrentFlushes: options.maxConcurrentWrites });
    this.events = new Counter({
      name: 'polaris_usage_events_total',
      help: 'Usage events by outcome (accepted, duplicate, rejected) and metric',
      labelNames: ['outcome', 'metric'],
      registers: [options.metrics],
    });
    this.aggregationDuration = new Histogram({
      name: 'polaris_aggregation_run_seconds',
      help: 'Duration of aggregation runs',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [options.metrics],
    });
    this.partitionChanges = new Counter({
      name: 'polaris_usage_event_partitions_total',
      help: "usage_events' monthly partitions created ahead, dropped by retention, and held back (events of a month due to be dropped still pending, or its lock busy)",
      labelNames: ['change'],
      registers: [options.metrics],
    });
    const backlog = (pick: (b: { events: number; oldestAgeSeconds: number }) => number) =>
      async function (this: Gauge) {
        this.set(pick(await stores.aggregation.aggregationBacklog()));
      };
    // Read from the database, so every copy of the service reads the same
    // figure: merged registries keep one reading rather than their sum.
    new Gauge({
      name: 'polaris_aggregation_pending_events',
      help: 'Events committed but not yet aggregated',
      registers: [options.metrics],
      aggregator: 'first',
      collect: backlog((b) => b.events),
    });
    new Gauge({
      name: 'polaris_aggregation_lag_seconds',
      help: 'Age of the oldest event not yet aggregated',
      registers: [options.metrics],
      aggregator: 'first',
      collect: backlog((b) => b.oldestAgeSeconds),
    });
  }

  /**
   * Validates and records a request's items for an organization: one outcome
   * per item, in the items' order. Items the edge already refused, and events
   * that fail validation, are rejected and stored nowhere; the others commit
   * before this resolves. A replayed idempotency key resolves to the first
   * event's id, as a duplicate.
   */
  record(orgId: string, items: readonly RecordItem[], names?: UsageFieldNames): Promise<RecordOutcome[]> {
    return this.recordEach(
      items.map((item) => ('event' in item ? { orgId, event: item.event } : item)),
      names,
    );
  }

  /**
   * {@link record} for items that each name their organization (a service
   * key's request may hold events of several). The items still commit
   * together, in one statement, and a replay is a duplicate within its own
   * organization only.
   */
  async recordEach(items: readonly OrganizationItem[], names?: UsageFieldNames): Promise<RecordOutcome[]> {
    const now = this.now();
    const metrics: string[] = [];
    for (const item of items) if ('event' in item && typeof item.event.metric === 'string') metrics.push(item.event.metric);
    const context: ValidationContext = {
      now,
      maxAgeDays: this.options.maxEventAgeDays,
      names,
      meterOf: meterLookup(await this.meterCatalog.current(metrics)),
      propertyLimits: this.options.propertyLimits,
    };
    const checked = items.map((item): NewUsageEvent | FieldProblem[] => {
      if ('problems' in item) return item.problems;
      const result = validateUsageEvent(item.event, context);
      if (!result.ok) return result.problems;
      const event = newUsageEvent(result.event, uuidv7(now.getTime()), item.orgId);
      const { groupBy } = context.meterOf(event.metric);
      if (groupBy.length > 0) event.groupKey = groupKeyOf(event, groupBy);
      return event;
    });
    await this.refuseGroupsBeyondLimit(checked, names?.properties ?? 'properties');
    const accepted = checked.filter((item): item is NewUsageEvent => !Array.isArray(item));
    // Organizations take turns in the group commit (a service key's request for several is one turn of its own).
    const owner = accepted.every((event) => event.orgId === accepted[0]?.orgId) ? accepted[0]?.orgId : '';
    const inserted = accepted.length > 0 ? await this.batcher.submit(accepted, owner) : new Map<string, InsertResult>();

    return checked.map((item): RecordOutcome => {
      if (Array.isArray(item)) {
        this.events.inc({ outcome: RecordStatus.Rejected, metric: 'unknown' });
        return { status: RecordStatus.Rejected, problems: item };
      }
      const { id, duplicate } = inserted.get(item.id)!;
      const status = duplicate ? RecordStatus.Duplicate : RecordStatus.Accepted;
      this.events.inc({ outcome: status, metric: item.metric });
      return { status, id };
    });
  }

  /**
   * A new group takes a place in its (organization, metric, UTC day) only
   * while the day has fewer than the limit; an event that would add one
   * beyond it is refused. Concurrent batches may overshoot by at most their
   * own new groups: the limit protects storage, it is not a quota.
   */
  private async refuseGroupsBeyondLimit(checked: (NewUsageEvent | FieldProblem[])[], field: string): Promise<void> {
    const grouped = checked.flatMap((item, index) => (!Array.isArray(item) && item.groupKey !== undefined ? [{ index, event: item }] : []));
    if (grouped.length === 0) return;
    const slots = grouped.map(({ event }) => ({ orgId: event.orgId, metric: event.metric, day: event.occurredAt, groupKey: event.groupKey! }));
    const states = await this.stores.events.groupSlots(slots);
    const admitted = new Map<string, Set<string>>();
    grouped.forEach(({ index, event }, i) => {
      const state = states[i]!;
      if (state.known) return;
      const day = `${event.orgId} ${event.metric} ${utcDate(event.occurredAt)}`;
      const fresh = admitted.get(day) ?? new Set<string>();
      admitted.set(day, fresh);
      if (fresh.has(event.groupKey!)) return;
      if (state.groups + fresh.size < this.options.maxGroupsPerDay) {
        fresh.add(event.groupKey!);
        return;
      }
      checked[index] = [{ field, message: `would make more than ${this.options.maxGroupsPerDay} groups of ${event.metric} on ${utcDate(event.occurredAt)}` }];
    });
  }

  async listMeters(): Promise<Meter[]> {
    return this.stores.meters.list();
  }

  async saveMeter(meter: Meter): Promise<Meter> {
    const saved = await this.stores.meters.save(meter);
    this.meterCatalog.invalidate();
    return saved;
  }

  /**
   * A meter's values by window (in the query's time zone) and group. Each
   * window's value comes from the buckets that cover it exactly.
   */
  async summary(query: UsageSummaryQuery): Promise<WindowUsage[]> {
    const meter = query.metric ? ((await this.meterCatalog.current([query.metric])).get(query.metric) ?? defaultMeter(query.metric)) : undefined;
    if (meter) this.checkGroupKeys(query, meter);
    const windows = windowsStartingIn(query.windowSize, query.timeZone, query.from, query.to);
    if (windows.length > usageLimits.summaryMaxWindows) {
      throw new ValidationError([{ field: 'window_size', message: `makes ${windows.length} windows from ${query.from.toISOString()} to ${query.to.toISOString()}; at most ${usageLimits.summaryMaxWindows}: use a larger window or a shorter range` }]);
    }
    const spans = windows.map((window) => {
      try {
        return bucketSpans(window.start, window.end);
      } catch {
        throw new ValidationError([{ field: 'from', message: 'and to must fall on a quarter hour (:00, :15, :30, :45) for a PERIOD window' }]);
      }
    });
    const values = await this.stores.summary.windowValues({
      orgId: query.organizationId,
      meter: meter && { metric: meter.metric, aggregation: meter.aggregation },
      windows: spans,
      groupBy: query.groupBy,
      where: query.where,
    });
    // Each window's bounds written once: a grouped answer repeats them for every group.
    const periods = windows.map((window) => ({ start: window.start.toISOString(), end: window.end.toISOString() }));
    return values.map(({ windowIndex, metric, groups, total }) => ({
      metric,
      total,
      periodStart: periods[windowIndex]!.start,
      periodEnd: periods[windowIndex]!.end,
      groups: query.groupBy.map((key, i) => ({ key, value: groups[i] ?? '', present: groups[i] !== null && groups[i] !== undefined })),
    }));
  }

  /** Grouping and filtering name the meter's group-by keys only: those are the ones its buckets keep. */
  private checkGroupKeys(query: UsageSummaryQuery, meter: Meter): void {
    const problems = new Problems();
    const known = `must be one of the ${meter.metric} meter's group-by keys (${meter.groupBy.join(', ') || 'it has none'})`;
    query.groupBy.forEach((key, i) => problems.check(meter.groupBy.includes(key), `group_by[${i}]`, known));
    query.where.forEach(({ key }, i) => problems.check(meter.groupBy.includes(key), `where[${i}].key`, known));
    problems.throwIfAny();
  }

  /**
   * Counts every event committed since the last run (all organizations, or
   * one). Its cost follows the new events, not the history.
   */
  async aggregate(options: { orgId?: string } = {}): Promise<AggregationRun> {
    const stopTimer = this.aggregationDuration.startTimer();
    let events = 0;
    let aggregatesChanged = 0;
    for (;;) {
      const { consumed, changed } = await this.stores.aggregation.aggregateBatch(aggregationBatchSize, options.orgId);
      events += consumed;
      aggregatesChanged += changed.length;
      if (consumed < aggregationBatchSize) break;
    }
    await this.stores.aggregation.completed({ orgId: options.orgId, events });
    // A run over every organization (the CronJob's) also keeps the months:
    // after counting, so a month due to be dropped has nothing pending.
    const partitions = options.orgId === undefined ? await this.upkeepPartitions() : undefined;
    return { events, aggregatesChanged, durationSeconds: stopTimer(), ...(partitions && { partitions }) };
  }

  private async upkeepPartitions(): Promise<PartitionUpkeep> {
    const upkeep = await this.stores.partitions.upkeep(this.options.retentionMonths);
    this.partitionChanges.inc({ change: 'created' }, upkeep.created);
    this.partitionChanges.inc({ change: 'dropped' }, upkeep.dropped.length);
    if (upkeep.heldBack) this.partitionChanges.inc({ change: 'held_back' });
    return upkeep;
  }

  /** The raw events kept, month by month, and what retention has dropped. */
  async eventStorage(): Promise<{ retentionMonths: number; retainedSince?: Date; months: EventMonth[] }> {
    return { retentionMonths: this.options.retentionMonths, ...(await this.stores.partitions.storage()) };
  }

  ready(): Promise<void> {
    return this.stores.events.ping();
  }
}

/** The event's values of the meter's group-by keys, as the JSON object its buckets are keyed by. */
function groupKeyOf(event: NewUsageEvent, groupBy: readonly string[]): string {
  const members = groupBy.flatMap((key) => {
    const value = event.properties.get(key);
    return value === undefined ? [] : [`${JSON.stringify(key)}:${JSON.stringify(propertyText(value))}`];
  });
  return `{${members.join(',')}}`;
}

/**
 * A metric's meter in `meters`, or the default (SUM) meter of a metric
 * without one. Returned from here rather than assigned to a name in each
 * request (see "keepNames" in scripts/bench/LOG.md).
 */
function meterLookup(meters: ReadonlyMap<string, Meter>): (metric: string) => Meter {
  return (metric) => meters.get(metric) ?? defaultMeter(metric);
}
