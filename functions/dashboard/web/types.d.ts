/** What the dashboard reads from the public GraphQL API (functions/gateway/schema.ts). */

/** Who is signed in, kept in this tab's sessionStorage only. */
export interface Session {
  role: 'organization' | 'operator';
  /** An API key or a JWT (organization), or the admin token (operator). */
  credential: string;
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

export interface Organization {
  id: string;
  name: string;
  createdAt: string;
}

export interface OrganizationDetails extends Organization {
  apiKeys: ApiKey[];
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
