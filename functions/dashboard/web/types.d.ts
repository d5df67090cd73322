/** What the dashboard reads from the public GraphQL API (functions/gateway/schema.ts). */

/** Who is signed in, kept in this tab's sessionStorage only. */
export interface Session {
  role: 'organization' | 'operator';
  /** An API key or a JWT (organization), or the admin token (operator). */
  credential: string;
}

export interface Plan {
  id: string;
  name: string;
  metric: string;
  /** Exact decimals, as strings. */
  unitPrice: string;
  freeQuota: string;
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
}

export interface Invoice {
  id: string;
  status: 'draft' | 'finalized' | string;
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
  invoices: Invoice[];
}

/** Runs a GraphQL operation for the signed-in caller; rejects with a GraphqlError. */
export type Request = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;
