/** What the dashboard reads from the public GraphQL API (functions/gateway/schema.ts). */

/** Who is signed in: a person with their session, or a pasted credential. */
export type Session = UserSession | CredentialSession;

/** A credential pasted at sign-in, kept in this tab's sessionStorage only. */
export interface CredentialSession {
  role: 'organization' | 'operator';
  /** An API key or a JWT (organization), or the admin token (operator). */
  credential: string;
}

export type Role = 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER';

export interface User {
  id: string;
  email: string;
  name: string | null;
}

/**
 * A person signed in with email and password or an identity provider, acting
 * for one of their organizations. Kept in localStorage, shared by the
 * browser's tabs: the refresh token renews it and works once, so every tab
 * must use the newest. Never the password.
 */
export interface UserSession {
  role: 'user';
  accessToken: string;
  refreshToken: string;
  /** RFC 3339: when the access token expires. */
  expiresAt: string;
  user: User;
  organization: { id: string; name: string };
  /** The user's role in that organization. */
  memberRole: Role;
}

export interface Membership {
  organization: { id: string; name: string };
  role: Role;
}

/** `GET /auth/oidc`: whether sign-in through an identity provider is on. */
export interface OidcConfig {
  enabled: boolean;
  /** What to call the provider on its button. */
  name?: string;
  /** Where the browser goes to sign in there. */
  startUrl?: string;
}

export type PricingModel = 'PER_UNIT' | 'GRADUATED' | 'VOLUME' | 'PACKAGE';

/** Exact decimals, as strings; no upTo: the last tier. */
export interface PriceTier {
  upTo: string | null;
  unitPrice: string;
  flatPrice: string | null;
}

/** A price for a metric (and property values) from one billing period on. */
export interface Plan {
  id: string;
  name: string;
  metric: string;
  model: PricingModel;
  /** Exact decimals, as strings. */
  unitPrice: string;
  freeQuota: string;
  tiers: PriceTier[];
  packageSize: string | null;
  packagePrice: string | null;
  /** One entry per key and value of the plan's filter. */
  where: { key: string; value: string | null }[];
  /** RFC 3339: the start of the billing period it applies from. */
  effectiveFrom: string;
}

export interface BillingTerms {
  timeZone: string;
  recurringFee: string;
  recurringFeeName: string;
  minimum: string;
  currency: string | null;
}

export interface UsageAggregate {
  metric: string;
  total: number;
  /** RFC 3339: one window, a UTC day unless asked otherwise. */
  periodStart: string;
  periodEnd: string;
  /** The same as total, exact. */
  value?: string;
  /** One per requested groupBy key; null when the group's events lack it. */
  groups?: { key: string; value: string | null }[];
}

export type MeterAggregation = 'SUM' | 'COUNT' | 'MAX' | 'LATEST' | 'UNIQUE_COUNT';

export type WindowSize = 'HOUR' | 'DAY' | 'MONTH';

/** How a metric is measured; a metric without one is a SUM meter with no properties. */
export interface Meter {
  metric: string;
  name: string;
  aggregation: MeterAggregation;
  valueProperty: string | null;
  groupBy: string[];
}

/** One month of receipt's raw usage events. */
export interface UsageMonth {
  /** YYYY-MM, UTC. */
  month: string;
  approximateEvents: number;
  bytes: number;
}

/** The raw usage events kept, and where retention last cut them. */
export interface UsageStorage {
  retentionMonths: number;
  retainedSince: string | null;
  months: UsageMonth[];
}

export interface InvoiceLineItem {
  metric: string;
  quantity: string;
  freeQuota: string;
  billableQuantity: string;
  unitPrice: string;
  amount: string;
  kind?: 'usage' | 'fee' | 'minimum' | 'adjustment' | 'credit' | string;
  description?: string;
  /** Adjustments and credits: the period the line belongs to. */
  forPeriodStart?: string | null;
  forPeriodEnd?: string | null;
}

export interface Invoice {
  id: string;
  status: 'draft' | 'finalized' | 'void' | string;
  /** Set when finalized. */
  number?: string | null;
  /** RFC 3339. */
  finalizedAt?: string | null;
  voidReason?: string | null;
  periodStart: string;
  periodEnd: string;
  amount: string;
  currency: string;
  lineItems?: InvoiceLineItem[];
}

export interface ApiKey {
  id: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface Member {
  user: User;
  role: Role;
  joinedAt: string;
}

/** An invitation not yet accepted; its token was shown once, when it was made. */
export interface PendingInvitation {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
}

export interface Organization {
  id: string;
  name: string;
  createdAt: string;
}

/** A threshold an alert reached in a billing period; exact decimals. */
export interface ThresholdCrossing {
  percent: string;
  threshold: string;
  value: string;
  periodStart: string;
  periodEnd: string;
  crossedAt: string;
}

/** A budget on a metric's value in the billing period (metric null: the draft invoice's amount). */
export interface UsageAlert {
  id: string;
  metric: string | null;
  budget: string;
  percentages: string[];
  createdAt: string;
  /** Newest period first. */
  crossings: ThresholdCrossing[];
}

export type EntitlementType = 'BOOLEAN' | 'METERED';

/** May the organization use the feature now. */
export interface EntitlementCheck {
  hasAccess: boolean;
  type: EntitlementType | null;
  usage: string | null;
  limit: string | null;
  soft: boolean;
  overLimit: boolean;
  /** RFC 3339: the end of the billing period. */
  resetsAt: string | null;
}

export interface Entitlement {
  id: string;
  feature: string;
  type: EntitlementType;
  enabled: boolean;
  metric: string | null;
  limit: string | null;
  soft: boolean;
  access: EntitlementCheck;
}

/** What an organization may send, per second across every pod: its own limits, or the deployment's defaults. */
export interface OrganizationLimits {
  /** Requests to POST /ingest, whatever their size. */
  ingestRequestsPerSecond: number;
  /** Events at POST /ingest: a batch of 1 000 counts 1 000. */
  ingestEventsPerSecond: number;
  /** The cost of GraphQL requests. */
  graphqlCostPerSecond: number;
  /** False when the deployment turns every limit off. */
  enforced: boolean;
}

export interface OrganizationDetails extends Organization {
  apiKeys: ApiKey[];
  limits: OrganizationLimits;
  usageAlerts: UsageAlert[];
  entitlements: Entitlement[];
  plans: Plan[];
  planHistory: Plan[];
  billingTerms: BillingTerms;
  invoices: Invoice[];
}

/** Where an organization's (or, for the operator, every organization's) events are POSTed. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  /** null: the operator's, for every organization's events. */
  organizationId: string | null;
  description: string;
  createdAt: string;
  /** RFC 3339: the first failure since the last success. */
  failingSince: string | null;
  /** RFC 3339: when Polaris disabled it for failing too long. */
  disabledAt: string | null;
}

export interface WebhookAttempt {
  attemptedAt: string;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  trigger: 'event' | 'retry' | 'manual' | string;
}

/** One event for one endpoint; its id is the webhook-id of every attempt. */
export interface WebhookMessage {
  id: string;
  eventType: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  createdAt: string;
  nextAttemptAt: string | null;
  attempts: WebhookAttempt[];
}

/** Runs a GraphQL operation for the signed-in caller; rejects with a GraphqlError. */
export type Request = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;
