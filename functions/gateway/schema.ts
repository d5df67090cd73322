/**
 * The public GraphQL schema: the seed's types and fields unchanged, plus the
 * contract's additions and the operator's views of organizations.
 */
export const schema = /* GraphQL */ `
  "Exact decimal; serialized as a string, accepted as a string or a number."
  scalar Decimal

  """
  An event's properties: a flat JSON object of at most 32 keys
  ([A-Za-z_][A-Za-z0-9_.-]{0,63}), each value a string of at most 256
  characters, a finite number or a boolean.
  """
  scalar EventProperties

  type Query {
    "The calling organization (API key or JWT)."
    me: Organization!
    """
    The caller's values of one metric in [from, to) (default: the current UTC
    month), one per window (default DAY; DAY and MONTH start at midnight in
    timeZone, an IANA name, default UTC) and group of the meter's groupBy
    keys; where keeps events whose property has one of the values. Windows
    without events are omitted.
    """
    usage(metric: String!, from: String, to: String, windowSize: WindowSize, timeZone: String, groupBy: [String!], where: [PropertyFilter!]): [UsageAggregate!]!
    "Every meter, by metric. A metric without one is a SUM meter with no properties."
    meters: [Meter!]!
    "The caller's invoices, newest period first."
    invoices: [Invoice!]!

    "Operator: every organization."
    organizations: [Organization!]!
    "Operator: one organization."
    organization(id: ID!): Organization!
  }

  type Mutation {
    "quantity may be left out for COUNT and UNIQUE_COUNT meters."
    recordUsage(metric: String!, quantity: Int, timestamp: String, idempotencyKey: String, properties: EventProperties): Boolean!

    # Operator only: Authorization: Bearer <POLARIS_ADMIN_TOKEN>
    createOrganization(name: String!): NewOrganization!
    createApiKey(organizationId: ID!): NewApiKey!
    "True when the key was active and is now revoked; false when it already was."
    revokeApiKey(id: ID!): Boolean!
    setPlan(organizationId: ID!, name: String!, metric: String!, unitPrice: Decimal!, freeQuota: Decimal!): Plan!
    generateInvoice(organizationId: ID!, periodStart: String!, periodEnd: String!): Invoice!
    finalizeInvoice(id: ID!): Invoice!
    """
    Defines how a metric is measured. Its aggregation never changes once the
    metric has a meter or events; its name and groupBy may.
    """
    createMeter(metric: String!, name: String!, aggregation: MeterAggregation!, valueProperty: String, groupBy: [String!]): Meter!
  }

  type Organization {
    id: ID!
    name: String!
    "RFC 3339, UTC."
    createdAt: String!
    "As Query.usage, for this organization."
    usage(metric: String!, from: String, to: String, windowSize: WindowSize, timeZone: String, groupBy: [String!], where: [PropertyFilter!]): [UsageAggregate!]!
    "Newest period first."
    invoices: [Invoice!]!
    "One per metric."
    plans: [Plan!]!
    "Prefixes only: a key is shown once, when it is made."
    apiKeys: [ApiKey!]!
  }

  "The key is shown once."
  type NewOrganization {
    organization: Organization!
    apiKey: String!
  }

  type NewApiKey {
    id: ID!
    apiKey: String!
  }

  type ApiKey {
    id: ID!
    prefix: String!
    createdAt: String!
    revokedAt: String
  }

  type Plan {
    id: ID!
    name: String!
    metric: String!
    unitPrice: Decimal!
    freeQuota: Decimal!
  }

  "One window (one UTC day unless asked otherwise) of one group."
  type UsageAggregate {
    metric: String!
    "The same number as value, as a Float."
    total: Float!
    periodStart: String!
    periodEnd: String!
    "The window's value, exact."
    value: Decimal!
    "The group's value of each requested groupBy key, in the request's order; null when its events lack the key."
    groups: [PropertyValue!]!
  }

  type PropertyValue {
    key: String!
    value: String
  }

  "Keeps events whose property key has one of values (as text)."
  input PropertyFilter {
    key: String!
    values: [String!]!
  }

  enum WindowSize {
    HOUR
    DAY
    MONTH
  }

  enum MeterAggregation {
    "The sum of quantity."
    SUM
    "The number of events."
    COUNT
    "The greatest quantity."
    MAX
    "The quantity of the event with the greatest (timestamp, id): a gauge reading."
    LATEST
    "The number of distinct values of valueProperty."
    UNIQUE_COUNT
  }

  type Meter {
    metric: String!
    name: String!
    aggregation: MeterAggregation!
    "The property UNIQUE_COUNT counts."
    valueProperty: String
    "Property keys usage may be grouped and filtered by."
    groupBy: [String!]!
  }

  type Invoice {
    id: ID!
    "The same number as amount, as a Float."
    totalAmount: Float!
    "draft or finalized."
    status: String!
    periodStart: String!
    periodEnd: String!
    amount: Decimal!
    currency: String!
    lineItems: [InvoiceLineItem!]!
  }

  type InvoiceLineItem {
    metric: String!
    quantity: Decimal!
    freeQuota: Decimal!
    billableQuantity: Decimal!
    unitPrice: Decimal!
    amount: Decimal!
  }
`;
