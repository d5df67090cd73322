/**
 * Resolves `X-API-Key` to an organization through Identity's ValidateApiKey,
 * over gRPC, with a small cache so the hot path pays no round trip per
 * request. A valid key is trusted for at most `ttlSeconds` (≤ 60), so a
 * revoked key stops working within that time; unknown keys are remembered
 * briefly, so a flood of bad keys does not become a flood of RPCs.
 */
import { createHash } from 'node:crypto';
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { UnauthenticatedError } from '../errors.js';
import type { GrpcClients } from './clients.js';

export interface Tenant {
  organizationId: string;
  keyId: string;
}

export interface ApiKeyAuthenticatorOptions {
  /** Seconds a valid key is cached. Default 60. */
  ttlSeconds: number;
  /** Seconds an invalid key is cached. Default 5. */
  negativeTtlSeconds: number;
  /** Entries kept at most; the oldest go first. Default 10 000. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  expiresAt: number;
  tenant: Tenant | undefined;
}

export class ApiKeyAuthenticator {
  // Keyed by the key's SHA-256, so the cache never holds a key itself.
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Tenant | undefined>>();
  private readonly now: () => number;

  constructor(
    private readonly clients: GrpcClients,
    private readonly options: ApiKeyAuthenticatorOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The key's organization; an UnauthenticatedError when it is missing, unknown or revoked. */
  async authenticate(apiKey: string | undefined): Promise<Tenant> {
    if (!apiKey) throw new UnauthenticatedError('missing X-API-Key header', 'missing_api_key');
    const hash = createHash('sha256').update(apiKey).digest('base64url');
    const cached = this.cache.get(hash);
    const tenant = cached && cached.expiresAt > this.now() ? cached.tenant : await this.lookup(hash, apiKey);
    if (!tenant) throw new UnauthenticatedError('unknown or revoked API key', 'invalid_api_key');
    return tenant;
  }

  /** One RPC per key however many requests wait for it. */
  private lookup(hash: string, apiKey: string): Promise<Tenant | undefined> {
    let pending = this.inFlight.get(hash);
    if (!pending) {
      pending = this.clients
        .call(IdentityService.validateApiKey, { apiKey })
        .then((result) => {
          const tenant = result.valid ? { organizationId: result.organizationId, keyId: result.keyId } : undefined;
          const ttl = tenant ? this.options.ttlSeconds : this.options.negativeTtlSeconds;
          this.remember(hash, { expiresAt: this.now() + ttl * 1000, tenant });
          return tenant;
        })
        .finally(() => this.inFlight.delete(hash));
      this.inFlight.set(hash, pending);
    }
    return pending;
  }

  private remember(hash: string, entry: Entry): void {
    this.cache.delete(hash);
    this.cache.set(hash, entry);
    const max = this.options.maxEntries ?? 10_000;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value!);
  }
}
