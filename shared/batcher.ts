/**
 * Group commit: requests that arrive while the database is busy are written
 * together, in one statement and one commit, instead of one commit each.
 * Durability is unchanged (every caller's promise resolves after its commit);
 * the commits are just shared.
 *
 * Fair queueing: each submission names whose it is (an organization), and a
 * batch takes one submission from each in turn, so a tenant that floods the
 * queue delays the others by one submission each, not by its whole backlog.
 */
export interface BatcherOptions {
  /** Items per flush at most. */
  maxItems: number;
  /** Flushes running at once at most (each holds one connection). */
  maxConcurrentFlushes: number;
}

interface Waiting<T, R> {
  items: T[];
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class Batcher<T, R> {
  /** Each owner's submissions in order; the map's order is whose turn comes next. */
  private readonly queues = new Map<string, Waiting<T, R>[]>();
  private queuedItems = 0;
  private running = 0;
  private scheduled = false;

  /**
   * `flush` writes a batch and returns its result, which every caller whose
   * items it held receives (a map by item id, say, for each to find its own).
   */
  constructor(
    private readonly flush: (items: T[]) => Promise<R>,
    private readonly options: BatcherOptions,
  ) {}

  /** Resolves with the result of the batch holding `items` once it is committed; `owner` takes turns with the others. */
  submit(items: T[], owner = ''): Promise<R> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(owner);
      if (queue) queue.push({ items, resolve, reject });
      else this.queues.set(owner, [{ items, resolve, reject }]);
      this.queuedItems += items.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.options.maxConcurrentFlushes || this.queues.size === 0) return;
    this.scheduled = true;
    // Let the requests that arrived in the same turn of the event loop join.
    setImmediate(() => {
      this.scheduled = false;
      this.flushNext();
    });
  }

  private flushNext(): void {
    if (this.running >= this.options.maxConcurrentFlushes || this.queues.size === 0) return;
    const batch: Waiting<T, R>[] = [];
    let count = 0;
    for (const [owner, queue] of this.queues) {
      const next = queue[0]!;
      if (batch.length > 0 && count + next.items.length > this.options.maxItems) break;
      queue.shift();
      batch.push(next);
      count += next.items.length;
      // To the back of the line: every other owner's turn comes first.
      this.queues.delete(owner);
      if (queue.length > 0) this.queues.set(owner, queue);
    }
    this.queuedItems -= count;
    this.running += 1;
    this.flush(batch.flatMap((waiting) => waiting.items)).then(
      (result) => {
        for (const waiting of batch) waiting.resolve(result);
      },
      (err: unknown) => {
        for (const waiting of batch) waiting.reject(err);
      },
    ).finally(() => {
      this.running -= 1;
      this.schedule();
    });
    // More waiting than one flush takes: start another while connections allow.
    this.schedule();
  }

  /** Items waiting for a flush (a gauge for metrics). */
  get backlog(): number {
    return this.queuedItems;
  }
}
