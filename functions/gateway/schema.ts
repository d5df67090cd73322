import { buildSchema } from 'graphql';

/**
 * The public GraphQL schema: the seed's types and fields unchanged, plus the
 * contract's additions and the operator's views of organizations. Who may
 * use each field of Query, Mutation and Organization: functions/gateway/access.ts.
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
    "The calling organization (API key, session or JWT)."
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
    "Operator: the raw usage events kept, month by month, and what retention (POLARIS_USAGE_RETENTION_MONTHS) has dropped."
    usageStorage: UsageStorage!
    "The caller's invoices, newest period first."
    invoices: [Invoice!]!
    "The caller's usage alerts, oldest first, each with the thresholds it reached."
    usageAlerts: [UsageAlert!]!
    """
    May the caller use a feature now? metric is the feature's key (a metered
    entitlement's is usually its metric's name, e.g. api_calls; a boolean
    feature's e.g. sso). No entitlement: hasAccess false. Answered from
    billing's state through a cache of at most a second.
    """
    entitlement(metric: String!): EntitlementCheck!

    "Operator: every organization."
    organizations: [Organization!]!
    "Operator: one organization."
    organization(id: ID!): Organization!

    "The signed-in user; null for API keys, JWTs and the operator."
    viewer: User
    "The signed-in user's organizations and roles; none for API keys, JWTs and the operator."
    memberships: [Membership!]!
    """
    Mutations, newest first, at most limit (default and most 1000): an
    organization's for its owners and admins; any organization's, or every
    one's when organizationId is left out, for the operator. from and to
    (RFC 3339) bound [from, to); action is e.g. api_key.create.
    """
    auditLog(organizationId: ID, action: String, from: String, to: String, limit: Int): [AuditEntry!]!

    """
    Webhook endpoints, never their secrets: a tenant's own organization's
    (owners, admins, MANAGE keys); for the operator one organization's, or
    every endpoint (its own, for all organizations, included) when
    organizationId is left out.
    """
    webhookEndpoints(organizationId: ID): [WebhookEndpoint!]!
    """
    An endpoint's messages, newest first, each with every attempt: at most
    limit (default 50, at most 250), of one status when given.
    """
    webhookDeliveries(endpointId: ID!, status: WebhookDeliveryStatus, limit: Int): [WebhookMessage!]!
  }

  type Mutation {
    "quantity may be left out for COUNT and UNIQUE_COUNT meters."
    recordUsage(metric: String!, quantity: Int, timestamp: String, idempotencyKey: String, properties: EventProperties): Boolean!

    # Operator only: Authorization: Bearer <POLARIS_ADMIN_TOKEN>
    "externalId: the operator's own id for the organization, unique; events may name the organization by it."
    createOrganization(name: String!, externalId: String): NewOrganization!
    """
    The operator, or the organization's owners, admins and MANAGE keys. scopes
    left out: INGEST, READ and MANAGE; a key grants only scopes it has.
    expiresAt: an RFC 3339 time in the future; left out, the key does not expire.
    """
    createApiKey(organizationId: ID!, name: String, scopes: [ApiKeyScope!], expiresAt: String): NewApiKey!
    "True when the key was active and is now revoked; false when it already was."
    revokeApiKey(id: ID!): Boolean!
    "Operator: a key with scope INGEST_ANY that ingests for any organization, each event naming it."
    createServiceKey(name: String!): NewApiKey!
    """
    Operator: the organization's own limits, for a customer who pays for
    more (or must send less). Replaces every limit it had: one left out (or
    0) goes back to the deployment's default. Ingest and the gateway apply
    them within a minute (the time they trust a cached API key).
    """
    setOrganizationLimits(organizationId: ID!, limits: OrganizationLimitsInput!): Organization!
    """
    The operator, or the organization's owners, admins and MANAGE keys: warns
    (dev.polaris.usage.threshold.crossed, once per threshold and billing
    period) when the metric's value in the billing period, or the draft
    invoice's amount when metric is left out, reaches each percentage of the
    budget (default 80 and 100). A budget already reached is announced at once.
    """
    createUsageAlert(organizationId: ID!, metric: String, budget: Decimal!, percentages: [Decimal!]): UsageAlert!
    "The operator, or the alert's organization's owners, admins and MANAGE keys."
    deleteUsageAlert(id: ID!): Boolean!
    """
    Operator: what an organization may use. With a limit, a metered
    entitlement: the metric's value (metric, default the feature's name) per
    billing period, refused from the limit on unless soft. Without one, a
    boolean feature, on unless enabled is false.
    """
    setEntitlement(organizationId: ID!, feature: String!, metric: String, limit: Decimal, soft: Boolean, enabled: Boolean): Entitlement!
    "Operator. False when the organization had no entitlement to the feature."
    deleteEntitlement(organizationId: ID!, feature: String!): Boolean!
    """
    Sets the price of a metric (of its usage whose properties pass where,
    when given) from the start of the billing period holding effectiveFrom
    (a date or RFC 3339 timestamp; default: now) on. model defaults to
    PER_UNIT (unitPrice, freeQuota); GRADUATED and VOLUME take tiers, in
    ascending upTo, the last without one; PACKAGE takes packageSize and
    packagePrice (and freeQuota). A price reaching a closed period is
    settled on the next open invoice.
    """
    setPlan(
      organizationId: ID!
      name: String!
      metric: String!
      unitPrice: Decimal
      freeQuota: Decimal
      model: PricingModel
      tiers: [PriceTierInput!]
      packageSize: Decimal
      packagePrice: Decimal
      where: [PropertyFilter!]
      effectiveFrom: String
    ): Plan!
    "Prices a period from current usage and keeps it as a draft; the same invoice for the same period."
    generateInvoice(organizationId: ID!, periodStart: String!, periodEnd: String!): Invoice!
    "Prices a draft once more, then freezes it and gives it its number."
    finalizeInvoice(id: ID!): Invoice!
    """
    Voids a finalized invoice: the next open invoice credits its amount and
    bills its period again at today's figures.
    """
    voidInvoice(id: ID!, reason: String!): Invoice!
    "Finalizes every draft whose period ended more than the grace time (72 h) ago, as the scheduled close does."
    closeInvoices: [Invoice!]!
    """
    Sets how an organization is billed besides its plans; arguments left out
    keep their value. timeZone (IANA) decides where its months start, and
    changes only before its first invoice.
    """
    setBillingTerms(organizationId: ID!, timeZone: String, recurringFee: Decimal, recurringFeeName: String, minimum: Decimal, currency: String): BillingTerms!
    """
    Defines how a metric is measured. Its aggregation never changes once the
    metric has a meter or events; its name and groupBy may.
    """
    createMeter(metric: String!, name: String!, aggregation: MeterAggregation!, valueProperty: String, groupBy: [String!]): Meter!

    "A session for one organization (default: the user's first). A wrong password and an unknown email get the same answer."
    signIn(email: String!, password: String!, organizationId: ID): Session!
    """
    The next access and refresh tokens; the refresh token works once, and a
    second use ends the session. organizationId switches to another of the
    user's organizations.
    """
    refreshSession(refreshToken: String!, organizationId: ID): Session!
    "Ends the token's session, or with everywhere every session of its user. False when none was open."
    signOut(refreshToken: String!, everywhere: Boolean): Boolean!
    "The operator, or the organization's owners and admins (an OWNER only by an OWNER). The token is shown once."
    inviteUser(organizationId: ID!, email: String!, role: Role!): Invitation!
    "A new user sets its password (and name); an existing user gives its current one. Answers a session for the organization."
    acceptInvitation(token: String!, password: String!, name: String): Session!
    "The signed-in user: every other session of the user ends."
    changePassword(currentPassword: String!, newPassword: String!): Boolean!
    "Operator: a one-time token (1 hour) with which the user sets a new password; Polaris sends no mail."
    createPasswordReset(email: String!): PasswordReset!
    "Sets the password of the token's user and ends every session of the user."
    resetPassword(token: String!, newPassword: String!): Boolean!
    "The operator, or the organization's owners and admins; only an OWNER makes or changes an OWNER."
    setMemberRole(organizationId: ID!, userId: ID!, role: Role!): Member!
    "The operator, or the organization's owners and admins; only an OWNER removes an OWNER. False when the user was no member."
    removeMember(organizationId: ID!, userId: ID!): Boolean!
    "The operator, or the invitation's organization's owners and admins. False when it was accepted or revoked already."
    revokeInvitation(id: ID!): Boolean!

    """
    Operator: links an organization to a Stripe customer, to whom its
    finalized invoices go. customerId left out: the organization's current
    customer, else a new one made in Stripe (Stripe must be on:
    STRIPE_SECRET_KEY). collectionMethod left out: the current one, else
    CHARGE_AUTOMATICALLY. daysUntilDue (SEND_INVOICE only, 1 to 365) left
    out: the current value, else 30.
    """
    setStripeCustomer(organizationId: ID!, customerId: String, collectionMethod: StripeCollectionMethod, daysUntilDue: Int): StripeCustomer!
    """
    Operator: takes a finalized invoice to Stripe now, as its finalization
    does (for one finalized before its organization was linked, say), and
    answers how far it got: sent (emailed), charged, charge_failed (declined;
    Stripe retries it) or settled (nothing to collect). Safe to repeat: the
    steps done are kept, and Stripe sees the same idempotency keys.
    """
    sendInvoiceToStripe(id: ID!): String!
    """
    Registers a webhook endpoint for eventTypes: exact types, or the patterns
    dev.polaris.invoice.* and dev.polaris.usage.threshold.*. A tenant's is
    for its own organization's events; the operator names an organization,
    or none for every organization's events. url: https (or http), not an
    internal address. The signing secret is shown once.
    """
    createWebhookEndpoint(url: String!, eventTypes: [String!]!, organizationId: ID, description: String): NewWebhookEndpoint!
    "Arguments left out keep their value. Enabling an endpoint (or a new url) forgets its failures; disabled, its messages wait."
    updateWebhookEndpoint(id: ID!, url: String, eventTypes: [String!], enabled: Boolean, description: String): WebhookEndpoint!
    "A new signing secret, shown once; the previous one signs beside it for 24 hours."
    rotateWebhookSecret(id: ID!): NewWebhookEndpoint!
    "The endpoint, its messages and their attempts."
    deleteWebhookEndpoint(id: ID!): Boolean!
    "Sends a message again now, with the same webhook-id, whatever its status; answers it with the new attempt last."
    redeliverWebhook(messageId: ID!): WebhookMessage!
  }

  type Organization {
    id: ID!
    name: String!
    "RFC 3339, UTC."
    createdAt: String!
    "The operator's own id for the organization; null when not set."
    externalId: String
    "As Query.usage, for this organization."
    usage(metric: String!, from: String, to: String, windowSize: WindowSize, timeZone: String, groupBy: [String!], where: [PropertyFilter!]): [UsageAggregate!]!
    "Newest period first."
    invoices: [Invoice!]!
    "The prices in effect in the current billing period: one per metric and property filter."
    plans: [Plan!]!
    "Operator: every price ever set, newest first."
    planHistory: [Plan!]!
    billingTerms: BillingTerms!
    "Prefixes only: a key is shown once, when it is made."
    apiKeys: [ApiKey!]!
    members: [Member!]!
    "Invitations not yet accepted; their tokens are shown once, when they are made."
    invitations: [PendingInvitation!]!
    "Oldest first, each with the thresholds it reached, newest period first."
    usageAlerts: [UsageAlert!]!
    "By feature."
    entitlements: [Entitlement!]!
    "As Query.entitlement, for this organization."
    entitlement(feature: String!): EntitlementCheck!
    "The Stripe customer its finalized invoices go to; null when it has none."
    stripe: StripeCustomer
    "What it may send, per second: its own limits where the operator set them, the deployment's defaults otherwise."
    limits: OrganizationLimits!
  }

  """
  An organization's limits, each per second across every pod, with bursts of
  twice as much. A request over one answers HTTP 429 with Retry-After and the
  RateLimit-Policy and RateLimit headers (GraphQL: the error RATE_LIMITED).
  """
  type OrganizationLimits {
    "Requests to POST /ingest, whatever their size."
    ingestRequestsPerSecond: Int!
    "Events at POST /ingest: a batch of 1 000 counts 1 000."
    ingestEventsPerSecond: Int!
    "The cost of GraphQL requests."
    graphqlCostPerSecond: Int!
    "False when the deployment turns every limit off (POLARIS_RATE_LIMIT_PER_SECOND=0)."
    enforced: Boolean!
  }

  "An organization's own limits, each a whole number per second; left out or 0: the deployment's default."
  input OrganizationLimitsInput {
    ingestRequestsPerSecond: Int
    ingestEventsPerSecond: Int
    graphqlCostPerSecond: Int
  }

  "A budget and the percentages of it to warn at."
  type UsageAlert {
    id: ID!
    "Whose value in the billing period is watched; null: the draft invoice's amount."
    metric: String
    "In the metric's units, or money in the invoice's currency."
    budget: Decimal!
    "Ascending."
    percentages: [Decimal!]!
    createdAt: String!
    "Newest period first."
    crossings: [ThresholdCrossing!]!
  }

  "A threshold reached in a billing period; announced once."
  type ThresholdCrossing {
    percent: Decimal!
    "budget × percent / 100."
    threshold: Decimal!
    "The period's value when it was reached."
    value: Decimal!
    periodStart: String!
    periodEnd: String!
    crossedAt: String!
  }

  enum EntitlementType {
    "A feature that is on or off."
    BOOLEAN
    "A metric's value limited per billing period."
    METERED
  }

  type Entitlement {
    id: ID!
    feature: String!
    type: EntitlementType!
    "BOOLEAN: whether the feature is on."
    enabled: Boolean!
    "METERED: the metric and its limit per billing period."
    metric: String
    limit: Decimal
    "METERED: a soft limit is reported (overLimit), never refused."
    soft: Boolean!
    updatedAt: String!
    "The answer now, as entitlement(metric) gives it."
    access: EntitlementCheck!
  }

  "May the organization use the feature now."
  type EntitlementCheck {
    feature: String!
    "BOOLEAN: enabled; METERED: usage < limit, or always when soft; no entitlement: false."
    hasAccess: Boolean!
    "null: the organization has no entitlement to the feature."
    type: EntitlementType
    "METERED: the usage in the current billing period."
    usage: Decimal
    limit: Decimal
    soft: Boolean!
    "METERED: usage ≥ limit."
    overLimit: Boolean!
    "METERED: RFC 3339, when usage starts from 0 again: the end of the billing period in the organization's billing time zone."
    resetsAt: String
  }

  type StripeCustomer {
    "Stripe's id, cus_…."
    customerId: String!
    collectionMethod: StripeCollectionMethod!
    "SEND_INVOICE: the days the customer has to pay; null otherwise."
    daysUntilDue: Int
  }

  "How Stripe collects an organization's finalized invoices."
  enum StripeCollectionMethod {
    "Stripe charges the customer's default payment method."
    CHARGE_AUTOMATICALLY
    "Stripe emails the invoice, to be paid within daysUntilDue days."
    SEND_INVOICE
  }

  type WebhookEndpoint {
    id: ID!
    url: String!
    eventTypes: [String!]!
    "False when disabled, by its owners or by Polaris after failing too long."
    enabled: Boolean!
    "null: the operator's endpoint, for every organization's events."
    organizationId: ID
    description: String!
    "RFC 3339."
    createdAt: String!
    "RFC 3339: the first failure since its last success; null while it succeeds."
    failingSince: String
    "RFC 3339: when Polaris disabled it for failing too long."
    disabledAt: String
  }

  "The secret (whsec_…) is shown once: receivers verify signatures with it."
  type NewWebhookEndpoint {
    endpoint: WebhookEndpoint!
    secret: String!
  }

  enum WebhookDeliveryStatus {
    "Not delivered yet; tried again at nextAttemptAt."
    PENDING
    "A receiver answered 2xx."
    DELIVERED
    "Every attempt of the schedule failed, or the endpoint was disabled."
    FAILED
  }

  "One event for one endpoint: its id is the webhook-id header of every attempt."
  type WebhookMessage {
    id: ID!
    endpointId: ID!
    eventId: String!
    eventType: String!
    status: WebhookDeliveryStatus!
    "RFC 3339."
    createdAt: String!
    deliveredAt: String
    nextAttemptAt: String
    "The body sent: the CloudEvent in structured JSON."
    payload: String!
    "Oldest first."
    attempts: [WebhookAttempt!]!
  }

  type WebhookAttempt {
    "RFC 3339."
    attemptedAt: String!
    "The receiver's HTTP status; null when it gave none."
    statusCode: Int
    "Why it failed: timeout, refused, ssrf_blocked, dns_failed, tls_failed, connection_failed, redirect_not_followed, http_status or signing_failed; null on success."
    error: String
    latencyMs: Int!
    "At most 256 bytes of the receiver's answer."
    responseExcerpt: String!
    "event (the first try), retry (the schedule) or manual (redeliverWebhook)."
    trigger: String!
  }

  "The key is shown once."
  type NewOrganization {
    organization: Organization!
    apiKey: String!
  }

  type NewApiKey {
    id: ID!
    apiKey: String!
    scopes: [ApiKeyScope!]!
  }

  type ApiKey {
    id: ID!
    prefix: String!
    createdAt: String!
    revokedAt: String
    name: String
    scopes: [ApiKeyScope!]!
    "RFC 3339; null: the key does not expire."
    expiresAt: String
    "RFC 3339, to the minute; null: never used."
    lastUsedAt: String
  }

  enum ApiKeyScope {
    "POST /ingest and recordUsage."
    INGEST
    "The organization's queries."
    READ
    "The organization's API keys and webhook endpoints."
    MANAGE
    "Service keys: POST /ingest for any organization, each event naming it."
    INGEST_ANY
  }

  enum Role {
    "Everything in the organization."
    OWNER
    "Reads, records usage, manages keys, webhooks, invitations and members below OWNER, reads the audit log."
    ADMIN
    "Reads and records usage."
    MEMBER
    "Reads."
    VIEWER
  }

  type User {
    id: ID!
    email: String!
    name: String
  }

  type Membership {
    organization: Organization!
    role: Role!
  }

  type Member {
    user: User!
    role: Role!
    "RFC 3339, UTC."
    joinedAt: String!
  }

  "A signed-in user acting for one organization."
  type Session {
    "Authorization: Bearer <accessToken>; short-lived."
    accessToken: String!
    "Works once: refreshSession answers the next one."
    refreshToken: String!
    "RFC 3339: when the access token expires."
    expiresAt: String!
    user: User!
    organization: Organization!
    role: Role!
  }

  "The token is shown once."
  type Invitation {
    id: ID!
    email: String!
    role: Role!
    token: String!
    "RFC 3339."
    expiresAt: String!
  }

  "An invitation as listed: never its token."
  type PendingInvitation {
    id: ID!
    email: String!
    role: Role!
    "RFC 3339."
    createdAt: String!
    expiresAt: String!
  }

  "The token is shown once and works once, for an hour."
  type PasswordReset {
    token: String!
    expiresAt: String!
  }

  type AuditEntry {
    "RFC 3339, UTC."
    at: String!
    "operator, user:<id>, key:<id>, token:<organization id> or system."
    actor: String!
    "<object>.<verb>, e.g. api_key.create."
    action: String!
    "The object acted on, e.g. api_key:<id>."
    target: String
    organizationId: ID
    clientAddress: String
  }

  type Plan {
    id: ID!
    name: String!
    metric: String!
    model: PricingModel!
    "PER_UNIT's price per unit; 0 for the other models."
    unitPrice: Decimal!
    "Units free each period (PER_UNIT, PACKAGE); 0 for tiers."
    freeQuota: Decimal!
    "GRADUATED and VOLUME: ascending by upTo; the last has none."
    tiers: [PriceTier!]!
    packageSize: Decimal
    packagePrice: Decimal
    "The property values the priced usage has: one entry per key and value; none: all of the metric's usage."
    where: [PropertyValue!]!
    "RFC 3339: the start of the billing period the price applies from."
    effectiveFrom: String!
  }

  enum PricingModel {
    "Every unit above freeQuota at unitPrice."
    PER_UNIT
    "Each unit at the price of the tier it falls in, plus the flat price of every tier reached."
    GRADUATED
    "Every unit at the price of the tier the whole quantity falls in, plus that tier's flat price."
    VOLUME
    "Every started package of packageSize units above freeQuota at packagePrice."
    PACKAGE
  }

  "A tier covers quantities above the previous tier's upTo, up to its own."
  input PriceTierInput {
    "Left out: the last tier."
    upTo: Decimal
    unitPrice: Decimal!
    flatPrice: Decimal
  }

  type PriceTier {
    upTo: Decimal
    unitPrice: Decimal!
    flatPrice: Decimal
  }

  "How an organization is billed besides its plans."
  type BillingTerms {
    "IANA; billing periods are calendar months there."
    timeZone: String!
    "Charged every period; 0: none."
    recurringFee: Decimal!
    recurringFeeName: String!
    "When a period's lines add up to less, a line makes up the rest; 0: none."
    minimum: Decimal!
    "ISO 4217; null: its plans', or USD."
    currency: String
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

  type UsageStorage {
    "Whole months of raw events kept before the current one; 0 keeps every event."
    retentionMonths: Int!
    "RFC 3339: events received before this were dropped (their aggregates, and so usage and invoices, kept); null while none were."
    retainedSince: String
    "Oldest first, the months made ahead included."
    months: [UsageMonth!]!
  }

  "One month of receipt's raw events, a PostgreSQL partition of its own."
  type UsageMonth {
    "YYYY-MM, UTC."
    month: String!
    "PostgreSQL's estimate from its statistics: approximate, 0 before the month is first analyzed."
    approximateEvents: Float!
    "On disk, indexes included."
    bytes: Float!
  }

  type Invoice {
    id: ID!
    "The same number as amount, as a Float."
    totalAmount: Float!
    "draft, finalized or void."
    status: String!
    periodStart: String!
    periodEnd: String!
    amount: Decimal!
    currency: String!
    lineItems: [InvoiceLineItem!]!
    "Set when finalized: unique per organization, without gaps."
    number: String
    "RFC 3339."
    finalizedAt: String
    voidReason: String
    "paid, payment_failed or uncollectible, as Stripe reported it; null until it did. A paid invoice's status stays finalized."
    paymentStatus: String
  }

  type InvoiceLineItem {
    metric: String!
    quantity: Decimal!
    freeQuota: Decimal!
    billableQuantity: Decimal!
    unitPrice: Decimal!
    amount: Decimal!
    "usage, fee, minimum, adjustment (late usage or a new price for a closed period) or credit (a voided invoice)."
    kind: String!
    description: String!
    "Adjustments and credits: the period the line belongs to (RFC 3339)."
    forPeriodStart: String
    forPeriodEnd: String
  }
`;

/**
 * The schema, built once: for the gateway's own checks at start-up (a rule and
 * a cost for every field), its request costs, and Mercurius, which adds the
 * resolvers to it (building it took some 10 ms of the gateway's cold start).
 * Without source locations, which only errors in the schema's own text would
 * show and which kept every token of it alive (0.4 MB of an idle gateway), and
 * without checking the text again at each start: schema.test.ts checks it.
 */
export const builtSchema = buildSchema(schema, { noLocation: true, assumeValidSDL: true });
