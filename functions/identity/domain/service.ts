/** Identity's logic: organizations, and API keys that are shown once and stored hashed. */
import type { Logger } from '../../../shared/logger.js';
import { isUuid } from '../../../shared/validation.js';
import { apiKeyHashMatches, apiKeyPrefix, generateApiKey, isWellFormedApiKey, type ApiKeyScope } from './api-key.js';
import { ApiKeyNotFoundError, OrganizationNotFoundError } from './errors.js';
import type { OrganizationLimitOverrides } from '../../../shared/rate-limits/index.js';
import type { CreateApiKeyInput, CreateOrganizationInput, SetOrganizationLimitsInput } from './inputs.js';
import type { ApiKeyRecord, IdentityStore, Organization } from './store.js';

export const ApiKeyStatus = { Valid: 'valid', Unknown: 'unknown', Revoked: 'revoked', Expired: 'expired' } as const;
export type ApiKeyStatus = (typeof ApiKeyStatus)[keyof typeof ApiKeyStatus];

export interface ApiKeyValidation {
  status: ApiKeyStatus;
  /** Set when the key is valid and belongs to an organization (a service key belongs to none). */
  organizationId?: string;
  /** Set when the key is valid, revoked or expired. */
  keyId?: string;
  /** Set when the key is valid. */
  scopes?: ApiKeyScope[];
  /** Set when the key is valid: its organization's own limits (none for a service key). */
  limits?: OrganizationLimitOverrides;
}

/** A newly made key: `apiKey` is the only time the secret exists outside the caller. */
export interface NewApiKey {
  id: string;
  apiKey: string;
}

export interface IdentityServiceOptions {
  /** Where a failed last-use update is reported: it never fails the validation that caused it. */
  logger?: Pick<Logger, 'warn'>;
  now?: () => Date;
}

/** How often a key's last use is written at most. */
const lastUseResolutionMs = 60_000;
/** Keys whose last write this process remembers; past this, it forgets them all (the SQL still limits writes). */
const maxRememberedUses = 10_000;

export class IdentityService {
  private readonly now: () => Date;
  /** Key id → when this process last wrote its last use, so a busy key costs no statement per validation. */
  private readonly lastUseWritten = new Map<string, number>();

  constructor(
    private readonly store: IdentityStore,
    private readonly options: IdentityServiceOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async createOrganization(input: CreateOrganizationInput): Promise<{ organization: Organization; apiKey: NewApiKey }> {
    const secret = generateApiKey();
    const { organization, keyId } = await this.store.insertOrganization(input, secret);
    return { organization, apiKey: { id: keyId, apiKey: secret.key } };
  }

  async getOrganization(id: string): Promise<Organization> {
    const organization = await this.store.findOrganization(id);
    if (!organization) throw new OrganizationNotFoundError(id);
    return organization;
  }

  /** An organization by its id or, failing that, its externalId (compared as written). */
  async resolveOrganization(reference: string): Promise<Organization> {
    const organization =
      (isUuid(reference) ? await this.store.findOrganization(reference.toLowerCase()) : undefined) ??
      (await this.store.findOrganizationByExternalId(reference));
    if (!organization) throw new OrganizationNotFoundError(reference);
    return organization;
  }

  listOrganizations(): Promise<Organization[]> {
    return this.store.listOrganizations();
  }

  async setOrganizationLimits(input: SetOrganizationLimitsInput): Promise<Organization> {
    const organization = await this.store.updateOrganizationLimits(input.organizationId, input.limits);
    if (!organization) throw new OrganizationNotFoundError(input.organizationId);
    return organization;
  }

  async createApiKey(input: CreateApiKeyInput): Promise<NewApiKey> {
    const secret = generateApiKey();
    const id = await this.store.insertApiKey(input.organizationId, secret, input);
    if (!id) throw new OrganizationNotFoundError(input.organizationId);
    return { id, apiKey: secret.key };
  }

  /** A key with INGEST_ANY, of no organization: the operator's backend reports usage for every customer with it. */
  async createServiceKey(name: string): Promise<NewApiKey> {
    const secret = generateApiKey();
    return { id: await this.store.insertServiceKey(name, secret), apiKey: secret.key };
  }

  async getApiKey(id: string): Promise<ApiKeyRecord> {
    const key = await this.store.findApiKey(id);
    if (!key) throw new ApiKeyNotFoundError(id);
    return key;
  }

  async listApiKeys(organizationId: string): Promise<ApiKeyRecord[]> {
    await this.getOrganization(organizationId);
    return this.store.listApiKeys(organizationId);
  }

  /** `revoked` is false when the key was already revoked; `organizationId` is undefined for a service key. */
  async revokeApiKey(id: string): Promise<{ revoked: boolean; organizationId?: string }> {
    const result = await this.store.revokeApiKey(id);
    if (result === undefined) throw new ApiKeyNotFoundError(id);
    return { revoked: result.revokedNow, organizationId: result.orgId ?? undefined };
  }

  async validateApiKey(apiKey: string): Promise<ApiKeyValidation> {
    if (!isWellFormedApiKey(apiKey)) return { status: ApiKeyStatus.Unknown };
    const candidates = await this.store.findApiKeysByPrefix(apiKeyPrefix(apiKey));
    const match = candidates.find((candidate) => apiKeyHashMatches(apiKey, candidate.hash));
    if (!match) return { status: ApiKeyStatus.Unknown };
    if (match.revokedAt) return { status: ApiKeyStatus.Revoked, keyId: match.id };
    if (match.expired) return { status: ApiKeyStatus.Expired, keyId: match.id };
    this.noteUse(match.id);
    return { status: ApiKeyStatus.Valid, organizationId: match.orgId ?? undefined, keyId: match.id, scopes: match.scopes, limits: match.limits };
  }

  /**
   * Records a key's last use without the validation waiting for it: a slow or
   * failed write costs the caller nothing, and is logged.
   */
  private noteUse(keyId: string): void {
    const now = this.now().getTime();
    const written = this.lastUseWritten.get(keyId);
    if (written !== undefined && now - written < lastUseResolutionMs) return;
    if (this.lastUseWritten.size >= maxRememberedUses) this.lastUseWritten.clear();
    this.lastUseWritten.set(keyId, now);
    this.store.touchApiKey(keyId).catch((err: unknown) => {
      // Let the next validation try again.
      this.lastUseWritten.delete(keyId);
      this.options.logger?.warn({ err, keyId }, 'could not record an API key’s last use');
    });
  }

  ready(): Promise<void> {
    return this.store.ping();
  }
}
