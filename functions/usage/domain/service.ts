/**
 * Usage's logic: record events exactly once, aggregate them incrementally,
 * answer daily totals. Every way an event arrives (ingest, RecordUsage, the
 * gateway) goes through `record`.
 */
import { Counter, Histogram, Gauge, type Registry } from 'prom-client';
import { Batcher } from '../../../shared/batcher.js';
import type { FieldProblem } from '../../../shared/errors.js';
import { periodOf, PeriodUnit, periodText, startAtOrAfter } from '../../../shared/periods.js';
import { uuidv7 } from '../../../shared/uuid.js';
import { validateUsageEvent, type RecordItem, type UsageFieldNames, type UsageSummaryQuery } from './inputs.js';
import type { InsertResult, NewUsageEvent, UsageStore } from './store.js';

export const RecordStatus = { Accepted: 'accepted', Duplicate: 'duplicate', Rejected: 'rejected' } as const;
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

/** The fate of one submitted event. */
export type RecordOutcome =
  | { status: typeof RecordStatus.Accepted | typeof RecordStatus.Duplicate; id: string }
  | { status: typeof RecordStatus.Rejected; problems: FieldProblem[] };

export interface DailyUsage {
  metric: string;
  /** Exact decimal. */
  total: string;
  periodStart: string;
  periodEnd: string;
}

export interface AggregationRun {
  /** Pending events counted by this run. */
  events: number;
  /** (organization, metric, day) totals changed. */
  aggregatesChanged: number;
  durationSeconds: number;
}

export interface UsageServiceOptions {
  /** Oldest accepted timestamp, in days before now. */
  maxEventAgeDays: number;
  metrics: Registry;
  /** Batches written at once (each holds a connection); leave some of the pool to the rest. */
  maxConcurrentWrites: number;
  now?: () => Date;
}

/** Pending events one aggregation transaction takes at most. */
const aggregationBatchSize = 50_000;

export class UsageService {
  private readonly batcher: Batcher<NewUsageEvent, ReadonlyMap<string, InsertResult>>;
  private readonly events: Counter<'outcome' | 'metric'>;
  private readonly aggregationDuration: Histogram;
  private readonly now: () => Date;

  constructor(
    private readonly store: UsageStore,
    private readonly options: UsageServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    // Concurrent requests share statements and commits; see shared/batcher.ts.
    this.batcher = new Batcher((events) => store.insertEvents(events), { maxItems: 2000, maxConcurrentFlushes: options.maxConcurrentWrites });
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
    const backlog = (pick: (b: { events: number; oldestAgeSeconds: number }) => number) =>
      async function (this: Gauge) {
        this.set(pick(await store.aggregationBacklog()));
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
  async record(orgId: string, items: readonly RecordItem[], names?: UsageFieldNames): Promise<RecordOutcome[]> {
    const now = this.now();
    const checked = items.map((item): NewUsageEvent | FieldProblem[] => {
      if ('problems' in item) return item.problems;
      const result = validateUsageEvent(item.event, { now, maxAgeDays: this.options.maxEventAgeDays, names });
      return result.ok ? { ...result.event, id: uuidv7(now.getTime()), orgId } : result.problems;
    });
    const accepted = checked.filter((item): item is NewUsageEvent => !Array.isArray(item));
    const inserted = accepted.length > 0 ? await this.batcher.submit(accepted) : new Map<string, InsertResult>();

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

  /** Daily totals whose UTC day starts in [from, to). */
  async summary(query: UsageSummaryQuery): Promise<DailyUsage[]> {
    const fromDay = startAtOrAfter(PeriodUnit.Day, query.from);
    const toDay = startAtOrAfter(PeriodUnit.Day, query.to);
    const totals = await this.store.dailyTotals(query.organizationId, query.metric, fromDay, toDay);
    return totals.map(({ metric, day, total }) => ({ metric, total, ...periodText(periodOf(PeriodUnit.Day, day)) }));
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
      const { consumed, changed } = await this.store.aggregateBatch(aggregationBatchSize, options.orgId);
      events += consumed;
      aggregatesChanged += changed.length;
      if (consumed < aggregationBatchSize) break;
    }
    return { events, aggregatesChanged, durationSeconds: stopTimer() };
  }

  ready(): Promise<void> {
    return this.store.ping();
  }
}
