/**
 * A bounded cache of values loaded asynchronously, each kept for a time of
 * its own. Concurrent misses for one key share one load, so a burst of
 * requests for something not cached yet makes one call, not a burst of calls.
 */
export interface ExpiringCacheOptions {
  /** Entries kept at most; the least recently stored go first. */
  maxEntries: number;
  now?: () => number;
}

export class ExpiringCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();
  private readonly loading = new Map<K, Promise<V>>();
  private readonly now: () => number;

  constructor(private readonly options: ExpiringCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The value cached for `key`, else `load`'s, kept for `ttlMs(value)`
   * milliseconds (0 keeps it not at all). A load that fails is not cached.
   */
  async get(key: K, load: () => Promise<V>, ttlMs: (value: V) => number): Promise<V> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) return entry.value;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load()
        .then((value) => {
          const ttl = ttlMs(value);
          if (ttl > 0) this.store(key, value, this.now() + ttl);
          return value;
        })
        .finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Forgets `key`'s value, so the next `get` loads it (a load under way still answers the callers waiting on it). */
  delete(key: K): void {
    this.entries.delete(key);
  }

  private store(key: K, value: V, expiresAt: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt });
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
