/** Identity's logic: organizations, and API keys that are shown once and stored hashed. */
import { apiKeyHashMatches, apiKeyPrefix, generateApiKey, isWellFormedApiKey } from './api-key.js';
import { ApiKeyNotFoundError, OrganizationNotFoundError } from './errors.js';
import type { CreateOrganizationInput } from './inputs.js';
import type { ApiKeyRecord, IdentityStore, Organization } from './store.js';

export const ApiKeyStatus = { Valid: 'valid', Unknown: 'unknown', Revoked: 'revoked' } as const;
export type ApiKeyStatus = (typeof ApiKeyStatus)[keyof typeof ApiKeyStatus];

export interface ApiKeyValidation {
  status: ApiKeyStatus;
  /** Set when the key is valid. */
  organizationId?: string;
  /** Set when the key is valid or revoked. */
  keyId?: string;
}

/** A newly made key: `apiKey` is the only time the secret exists outside the caller. */
export interface NewApiKey {
  id: string;
  apiKey: string;
}

export class IdentityService {
  constructor(private readonly store: IdentityStore) {}

  async createOrganization(input: CreateOrganizationInput): Promise<{ organization: Organization; apiKey: NewApiKey }> {
    const secret = generateApiKey();
    const { organization, keyId } = await this.store.insertOrganization(input.name, secret);
    return { organization, apiKey: { id: keyId, apiKey: secret.key } };
  }

  async getOrganization(id: string): Promise<Organization> {
    const organization = await this.store.findOrganization(id);
    if (!organization) throw new OrganizationNotFoundError(id);
    return organization;
  }

  listOrganizations(): Promise<Organization[]> {
    return this.store.listOrganizations();
  }

  async createApiKey(organizationId: string): Promise<NewApiKey> {
    const secret = generateApiKey();
    const id = await this.store.insertApiKey(organizationId, secret);
    if (!id) throw new OrganizationNotFoundError(organizationId);
    return { id, apiKey: secret.key };
  }

  async listApiKeys(organizationId: string): Promise<ApiKeyRecord[]> {
    await this.getOrganization(organizationId);
    return this.store.listApiKeys(organizationId);
  }

  /** @returns false when the key was already revoked. */
  async revokeApiKey(id: string): Promise<boolean> {
    const revoked = await this.store.revokeApiKey(id);
    if (revoked === undefined) throw new ApiKeyNotFoundError(id);
    return revoked;
  }

  async validateApiKey(apiKey: string): Promise<ApiKeyValidation> {
    if (!isWellFormedApiKey(apiKey)) return { status: ApiKeyStatus.Unknown };
    const candidates = await this.store.findApiKeysByPrefix(apiKeyPrefix(apiKey));
    const match = candidates.find((candidate) => apiKeyHashMatches(apiKey, candidate.hash));
    if (!match) return { status: ApiKeyStatus.Unknown };
    if (match.revokedAt) return { status: ApiKeyStatus.Revoked, keyId: match.id };
    return { status: ApiKeyStatus.Valid, organizationId: match.orgId, keyId: match.id };
  }

  ready(): Promise<void> {
    return this.store.ping();
  }
}
