/** Domain values in their protobuf form. */
import type { ApiKey, Organization as OrganizationMessage, OrganizationLimits } from '../../proto/gen/polaris/identity/v1/identity.js';
import type { OrganizationLimitOverrides } from '../../shared/rate-limits/index.js';
import type { ApiKeyRecord, Organization } from './domain/index.js';

export const organizationMessage = (organization: Organization): OrganizationMessage => ({
  id: organization.id,
  name: organization.name,
  createdAt: organization.createdAt.toISOString(),
  externalId: organization.externalId ?? '',
  limits: limitsMessage(organization.limits),
});

/** An organization's own limits, 0 for each that takes the default. */
export const limitsMessage = (limits: OrganizationLimitOverrides | undefined): OrganizationLimits => ({
  ingestRequestsPerSecond: limits?.ingestRequestsPerSecond ?? 0,
  ingestEventsPerSecond: limits?.ingestEventsPerSecond ?? 0,
  graphqlCostPerSecond: limits?.graphqlCostPerSecond ?? 0,
});

export const apiKeyMessage = (key: ApiKeyRecord): ApiKey => ({
  id: key.id,
  organizationId: key.orgId ?? '',
  prefix: key.prefix,
  createdAt: key.createdAt.toISOString(),
  revokedAt: key.revokedAt?.toISOString() ?? '',
  name: key.name ?? '',
  scopes: key.scopes,
  expiresAt: key.expiresAt?.toISOString() ?? '',
  lastUsedAt: key.lastUsedAt?.toISOString() ?? '',
});
