/**
 * Group commit: requests that arrive while the database is busy are written
 * together, in one statement and one commit, instead of one commit each.
 * Durability is unchanged (every caller's promise resolves after its commit);
 * the commits are just shared.
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
  private queue: Waiting<T, R>[] = [];
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

  /** Resolves with the result of the batch holding `items` once it is committed. */
  submit(items: T[]): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.queuedItems += items.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.options.maxConcurrentFlushes || this.queue.length === 0) return;
    this.scheduled = true;
    // Let the requests that arrived in the same turn of the event loop join.
    setImmediate(() => {
      this.scheduled = false;
      this.flushNext();
    });
  }

  private flushNext(): void {
    if (this.running >= this.options.maxConcurrentFlushes || this.queue.length === 0) return;
    const batch: Waiting<T, R>[] = [];
    let count = 0;
    while (this.queue.length > 0 && (batch.length === 0 || count + this.queue[0]!.items.length <= this.options.maxItems)) {
      const next = this.queue.shift()!;
      batch.push(next);
      count += next.items.length;
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
