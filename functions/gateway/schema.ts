/**
 * The public GraphQL schema: the seed's types and fields unchanged, plus the
 * contract's additions and the operator's views of organizations.
 */
export const schema = /* GraphQL */ `
  "Exact decimal; serialized as a string, accepted as a string or a number."
  scalar Decimal

  type Query {
    "The calling organization (API key or JWT)."
    me: Organization!
    "The caller's daily aggregates of one metric in [from, to); default: the current UTC month."
    usage(metric: String!, from: String, to: String): [UsageAggregate!]!
    "The caller's invoices, newest period first."
    invoices: [Invoice!]!

    "Operator: every organization."
    organizations: [Organization!]!
    "Operator: one organization."
    organization(id: ID!): Organization!
  }

  type Mutation {
    recordUsage(metric: String!, quantity: Int!, timestamp: String, idempotencyKey: String): Boolean!

    # Operator only: Authorization: Bearer <POLARIS_ADMIN_TOKEN>
    createOrganization(name: String!): NewOrganization!
    createApiKey(organizationId: ID!): NewApiKey!
    "True when the key was active and is now revoked; false when it already was."
    revokeApiKey(id: ID!): Boolean!
    setPlan(organizationId: ID!, name: String!, metric: String!, unitPrice: Decimal!, freeQuota: Decimal!): Plan!
    generateInvoice(organizationId: ID!, periodStart: String!, periodEnd: String!): Invoice!
    finalizeInvoice(id: ID!): Invoice!
  }

  type Organization {
    id: ID!
    name: String!
    "RFC 3339, UTC."
    createdAt: String!
    "Daily aggregates of one metric in [from, to); default: the current UTC month."
    usage(metric: String!, from: String, to: String): [UsageAggregate!]!
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

  "One UTC day."
  type UsageAggregate {
    metric: String!
    total: Float!
    periodStart: String!
    periodEnd: String!
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
