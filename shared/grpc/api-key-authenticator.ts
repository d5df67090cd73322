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
import { ExpiringCache } from '../expiring-cache.js';
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

export class ApiKeyAuthenticator {
  // Keyed by the key's SHA-256, so the cache never holds a key itself.
  private readonly cache: ExpiringCache<string, Tenant | undefined>;

  constructor(
    private readonly clients: GrpcClients,
    private readonly options: ApiKeyAuthenticatorOptions,
  ) {
    this.cache = new ExpiringCache({ maxEntries: options.maxEntries ?? 10_000, now: options.now });
  }

  /** The key's organization; an UnauthenticatedError when it is missing, unknown or revoked. */
  async authenticate(apiKey: string | undefined): Promise<Tenant> {
    if (!apiKey) throw new UnauthenticatedError('missing X-API-Key header', 'missing_api_key');
    const hash = createHash('sha256').update(apiKey).digest('base64url');
    const tenant = await this.cache.get(
      hash,
      async () => {
        const result = await this.clients.call(IdentityService.validateApiKey, { apiKey });
        return result.valid ? { organizationId: result.organizationId, keyId: result.keyId } : undefined;
      },
      (found) => (found ? this.options.ttlSeconds : this.options.negativeTtlSeconds) * 1000,
    );
    if (!tenant) throw new UnauthenticatedError('unknown or revoked API key', 'invalid_api_key');
    return tenant;
  }
}
