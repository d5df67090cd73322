/**
 * Per-organization limits, shared across pods: ingest requests and events,
 * GraphQL cost. Ingest and the gateway take from them; Identity keeps each
 * organization's own limits, which ValidateApiKey, ValidateSession and the
 * Organization message carry.
 */
export {
  RateLimitName,
  burstFactor,
  defaultOrganizationLimits,
  effectiveLimits,
  limitField,
  maxLimitPerSecond,
  overridesFromMessage,
  type OrganizationLimitOverrides,
  type OrganizationLimits,
} from './policies.js';
export { OrganizationRateLimiter, PostgresBucketStore, organizationRateLimiterFrom, type BucketStore, type Lease, type LimitState } from './shared-buckets.js';
export { acceptedRateLimitHeaders, rateLimitHeaders } from './headers.js';
export { rateLimitMigrations } from './migrations.js';
