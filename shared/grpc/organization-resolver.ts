/**
 * Resolves the organization a service key's event names (an id or an
 * externalId) through Identity's ResolveOrganization, with a small cache like
 * the API keys'. An organization and its externalId never change once made
 * (its limits may, and show as a key's do), so a hit is kept as long as a key
 * is; a miss only briefly, so an organization created a moment ago is found soon.
 */
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { ErrorKind, PolarisError } from '../errors.js';
import { ExpiringCache } from '../expiring-cache.js';
import { overridesFromMessage, type OrganizationLimitOverrides } from '../rate-limits/index.js';
import type { GrpcClients } from './clients.js';

export interface OrganizationResolverOptions {
  /** Seconds a found organization is cached. */
  ttlSeconds: number;
  /** Seconds a reference that matched none is cached. */
  negativeTtlSeconds: number;
  /** Entries kept at most; the oldest go first. Default 10 000. */
  maxEntries?: number;
  now?: () => number;
}

/** An organization as ingest needs it. */
export interface ResolvedOrganization {
  id: string;
  externalId: string;
  /** Its own limits, as cached: a change shows within `ttlSeconds`. */
  limits: OrganizationLimitOverrides;
}

export class OrganizationResolver {
  private readonly cache: ExpiringCache<string, ResolvedOrganization | undefined>;

  constructor(
    private readonly clients: GrpcClients,
    private readonly options: OrganizationResolverOptions,
  ) {
    this.cache = new ExpiringCache({ maxEntries: options.maxEntries ?? 10_000, now: options.now });
  }

  /** The organization `reference` names, undefined when none; other failures (Identity unreachable) are thrown. */
  resolve(reference: string): Promise<ResolvedOrganization | undefined> {
    return this.cache.get(
      reference,
      async () => {
        try {
          const { organization } = await this.clients.call(IdentityService.resolveOrganization, { reference });
          return { id: organization!.id, externalId: organization!.externalId, limits: overridesFromMessage(organization!.limits) };
        } catch (err) {
          if (err instanceof PolarisError && (err.kind === ErrorKind.NotFound || err.kind === ErrorKind.Validation)) return undefined;
          throw err;
        }
      },
      (found) => (found ? this.options.ttlSeconds : this.options.negativeTtlSeconds) * 1000,
    );
  }
}
