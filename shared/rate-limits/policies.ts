/**
 * What Polaris limits per organization, and how much by default. Every limit
 * is a token bucket refilled at its rate, holding up to `burstFactor` seconds
 * of it, shared by every pod (see shared-buckets.ts).
 */

/** The limits, by the name the RateLimit headers and errors give them. */
export const RateLimitName = {
  /** `POST /ingest` requests, whatever their size. */
  IngestRequests: 'ingest-requests',
  /** Events at `POST /ingest`: a batch of 1 000 takes 1 000. */
  IngestEvents: 'ingest-events',
  /** The cost of GraphQL requests at the gateway. */
  GraphqlCost: 'graphql-cost',
} as const;
export type RateLimitName = (typeof RateLimitName)[keyof typeof RateLimitName];

/** An organization's limits, each per second. */
export interface OrganizationLimits {
  ingestRequestsPerSecond: number;
  ingestEventsPerSecond: number;
  graphqlCostPerSecond: number;
}

/** The limits the operator set for one organization; a field left out takes the deployment's default. */
export type OrganizationLimitOverrides = Partial<OrganizationLimits>;

/** Which field of OrganizationLimits each limit reads. */
export const limitField: Record<RateLimitName, keyof OrganizationLimits> = {
  [RateLimitName.IngestRequests]: 'ingestRequestsPerSecond',
  [RateLimitName.IngestEvents]: 'ingestEventsPerSecond',
  [RateLimitName.GraphqlCost]: 'graphqlCostPerSecond',
};

/**
 * The defaults, per organization, across every pod. Generous for real use
 * (an organization sending a thousand requests or ten thousand events a second
 * is far beyond an ordinary customer, and the operator raises a big one's
 * limits), low enough that one organization's flood cannot take the database
 * and the pool from the others.
 */
export const defaultOrganizationLimits: OrganizationLimits = {
  ingestRequestsPerSecond: 1_000,
  ingestEventsPerSecond: 10_000,
  graphqlCostPerSecond: 1_000,
};

/** Seconds of its rate a bucket holds when full: an idle organization may send twice its rate at once. */
export const burstFactor = 2;

/** The largest limit the operator may set, per second. */
export const maxLimitPerSecond = 10_000_000;

/** The limits that apply to an organization: its own where set, the defaults otherwise. */
export function effectiveLimits(defaults: OrganizationLimits, overrides: OrganizationLimitOverrides | undefined): OrganizationLimits {
  return {
    ingestRequestsPerSecond: overrides?.ingestRequestsPerSecond || defaults.ingestRequestsPerSecond,
    ingestEventsPerSecond: overrides?.ingestEventsPerSecond || defaults.ingestEventsPerSecond,
    graphqlCostPerSecond: overrides?.graphqlCostPerSecond || defaults.graphqlCostPerSecond,
  };
}

/**
 * An organization's own limits as their protobuf message carries them (0
 * for "the default"), as overrides.
 */
export function overridesFromMessage(message: { ingestRequestsPerSecond: number; ingestEventsPerSecond: number; graphqlCostPerSecond: number } | undefined): OrganizationLimitOverrides {
  if (!message) return {};
  const overrides: OrganizationLimitOverrides = {};
  if (message.ingestRequestsPerSecond > 0) overrides.ingestRequestsPerSecond = message.ingestRequestsPerSecond;
  if (message.ingestEventsPerSecond > 0) overrides.ingestEventsPerSecond = message.ingestEventsPerSecond;
  if (message.graphqlCostPerSecond > 0) overrides.graphqlCostPerSecond = message.graphqlCostPerSecond;
  return overrides;
}
