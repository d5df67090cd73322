/**
 * A bounded cache of values loaded asynchronously, each kept for a time of
 * its own. Concurrent misses for one key share one load, so a burst of
 * requests for something not cached yet makes one call, not a burst of calls.
 *
 * An entry still in use is loaded again before it expires: a hit in the last
 * quarter of its lifetime answers from the cache and starts a load in the
 * background, whose value replaces the entry. A busy key (an API key sending
 * a thousand requests a second, say) thus never expires under its requests,
 * each of which would otherwise wait, once per lifetime, for the call that
 * reloads it (under a flood, some 100 ms). A value is still never answered
 * longer than its time after it was loaded; an entry nobody asks for simply
 * expires.
 */
export interface ExpiringCacheOptions {
  /** Entries kept at most; the least recently stored go first. */
  maxEntries: number;
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
  /** After this, a hit also reloads the entry in the background. */
  refreshAt: number;
}

/** The part of an entry's lifetime after which a hit reloads it in the background. */
const refreshAfter = 0.75;

export class ExpiringCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly loading = new Map<K, Promise<V>>();
  private readonly now: () => number;

  constructor(private readonly options: ExpiringCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The value cached for `key`, else `load`'s, kept for `ttlMs(value)`
   * milliseconds (0 keeps it not at all). A load that fails is not cached; a
   * background reload that fails leaves the entry to expire at its time, and
   * is tried again halfway to then.
   */
  async get(key: K, load: () => Promise<V>, ttlMs: (value: V) => number): Promise<V> {
    const entry = this.entries.get(key);
    const now = this.now();
    if (!entry || entry.expiresAt <= now) return this.loading.get(key) ?? this.load(key, load, ttlMs);
    if (now >= entry.refreshAt && !this.loading.has(key)) this.reloadInBackground(key, entry, load, ttlMs);
    return entry.value;
  }

  private reloadInBackground(key: K, entry: Entry<V>, load: () => Promise<V>, ttlMs: (value: V) => number): void {
    this.load(key, load, ttlMs).catch(() => {
      // Down, say: try again halfway to the expiry, not at the next hit (a busy key's next millisecond).
      const failedAt = this.now();
      entry.refreshAt = failedAt + (entry.expiresAt - failedAt) / 2;
    });
  }

  /**
   * Forgets `key`'s value, so the next `get` loads it. A load under way still
   * answers its callers, but is not kept: it may have read what was there
   * before the change that made the caller forget the key.
   */
  delete(key: K): void {
    this.entries.delete(key);
    this.loading.delete(key);
  }

  private load(key: K, load: () => Promise<V>, ttlMs: (value: V) => number): Promise<V> {
    const current = () => this.loading.get(key) === pending;
    // Called from a promise, so a loader that throws at once rejects like one that fails later.
    const pending: Promise<V> = Promise.resolve()
      .then(load)
      .then((value) => {
        const ttl = ttlMs(value);
        if (ttl > 0 && current()) {
          const now = this.now();
          this.store(key, { value, expiresAt: now + ttl, refreshAt: now + ttl * refreshAfter });
        }
        return value;
      })
      .finally(() => {
        if (current()) this.loading.delete(key);
      });
    this.loading.set(key, pending);
    return pending;
  }

  private store(key: K, entry: Entry<V>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
