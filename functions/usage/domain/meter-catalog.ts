/**
 * Each process's copy of the meters, read at ingest for every request. It is
 * kept for `ttlMs`; a metric it does not know reloads it (at most every
 * `missReloadMs`), so an event right after `createMeter` in another process
 * already meets its meter, while metrics that never get one (plain SUM
 * metrics) cost a reload a few times a second at most.
 */
import type { Meter } from './meters.js';

export class MeterCatalog {
  private meters: ReadonlyMap<string, Meter> = new Map();
  private loadedAt = -Infinity;
  private loading?: Promise<ReadonlyMap<string, Meter>>;

  constructor(
    private readonly load: () => Promise<Meter[]>,
    private readonly options: { ttlMs: number; missReloadMs: number; now?: () => number },
  ) {}

  /** The meters, fresh enough to know each of `metrics` if it has one. */
  async current(metrics: Iterable<string> = []): Promise<ReadonlyMap<string, Meter>> {
    const now = (this.options.now ?? Date.now)();
    const age = now - this.loadedAt;
    const missing = [...metrics].some((metric) => !this.meters.has(metric));
    if (age >= this.options.ttlMs || (missing && age >= this.options.missReloadMs)) await this.reload();
    return this.meters;
  }

  /** Forgets the copy: the next read loads (after this process changed a meter). */
  invalidate(): void {
    this.loadedAt = -Infinity;
  }

  private reload(): Promise<ReadonlyMap<string, Meter>> {
    this.loading ??= this.load()
      .then((meters) => {
        this.meters = new Map(meters.map((meter) => [meter.metric, meter]));
        this.loadedAt = (this.options.now ?? Date.now)();
        return this.meters;
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }
}
