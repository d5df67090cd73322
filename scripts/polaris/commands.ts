/**
 * The operator tool's commands (scripts/polaris.ts runs them): each a
 * GraphQL document built from its flags.
 */
import { commaList, count, enumValue, priceTier, propertyFilter, yesNo } from './flags.js';

const invoiceFields =
  'id number status paymentStatus periodStart periodEnd amount currency totalAmount finalizedAt voidReason lineItems { kind description metric quantity freeQuota billableQuantity unitPrice amount forPeriodStart forPeriodEnd }';
const planFields = 'id name metric model unitPrice freeQuota tiers { upTo unitPrice flatPrice } packageSize packagePrice where { key value } effectiveFrom';
const termsFields = 'timeZone recurringFee recurringFeeName minimum currency';
const meterFields = 'metric name aggregation valueProperty groupBy';
const organizationFields = 'id name externalId createdAt';
const limitsFields = 'ingestRequestsPerSecond ingestEventsPerSecond graphqlCostPerSecond enforced';
const apiKeyFields = 'id name prefix scopes createdAt expiresAt lastUsedAt revokedAt';
const memberFields = 'user { id email name } role joinedAt';
const alertFields = 'id metric budget percentages createdAt crossings { percent threshold value periodStart periodEnd crossedAt }';
const entitlementFields = 'id feature type enabled metric limit soft updatedAt';
const entitlementCheckFields = 'feature hasAccess type usage limit soft overLimit resetsAt';
const webhookFields = 'id organizationId url eventTypes description enabled createdAt failingSince disabledAt';
const webhookMessageFields =
  'id eventId eventType status createdAt deliveredAt nextAttemptAt attempts { attemptedAt statusCode error latencyMs responseExcerpt trigger }';

/** `webhook enable` and `webhook disable`. */
const setWebhookEnabled = (enabled: boolean): Command => ({
  usage: `webhook ${enabled ? 'enable' : 'disable'} --id <webhook endpoint id>`,
  options: { id: { type: 'string' } },
  request: ({ id }) => ({
    query: `mutation($id: ID!, $enabled: Boolean!) { updateWebhookEndpoint(id: $id, enabled: $enabled) { ${webhookFields} } }`,
    variables: { id: id ?? '', enabled },
    pick: 'updateWebhookEndpoint',
  }),
});

export interface Command {
  usage: string;
  /** `multiple` options may be given more than once; their values come as `lists`. */
  options: Record<string, { type: 'string'; multiple?: true }>;
  /** A GraphQL document, its variables, and the path of the answer to print. */
  request(values: Record<string, string | undefined>, lists: Record<string, string[]>): { query: string; variables: object; pick: string };
}

export const commands: Record<string, Command> = {
  'org create': {
    usage: 'org create --name <name> [--external-id <your id for it>]',
    options: { name: { type: 'string' }, 'external-id': { type: 'string' } },
    request: (v) => ({
      query: `mutation($name: String!, $externalId: String) { createOrganization(name: $name, externalId: $externalId) { organization { ${organizationFields} } apiKey } }`,
      variables: { name: v.name ?? '', externalId: v['external-id'] },
      pick: 'createOrganization',
    }),
  },
  'org list': {
    usage: 'org list',
    options: {},
    request: () => ({ query: `{ organizations { ${organizationFields} } }`, variables: {}, pick: 'organizations' }),
  },
  'org get': {
    usage: 'org get --id <organization id>',
    options: { id: { type: 'string' } },
    request: ({ id }) => ({
      query: `query($id: ID!) { organization(id: $id) { ${organizationFields} plans { ${planFields} } billingTerms { ${termsFields} } stripe { customerId collectionMethod daysUntilDue } limits { ${limitsFields} } apiKeys { ${apiKeyFields} } } }`,
      variables: { id: id ?? '' },
      pick: 'organization',
    }),
  },
  'org set-limits': {
    usage: 'org set-limits --id <organization id> [--ingest-requests <per second>] [--ingest-events <per second>] [--graphql-cost <per second>] (each left out: the default)',
    options: { id: { type: 'string' }, 'ingest-requests': { type: 'string' }, 'ingest-events': { type: 'string' }, 'graphql-cost': { type: 'string' } },
    request: (v) => ({
      query: `mutation($id: ID!, $limits: OrganizationLimitsInput!) { setOrganizationLimits(organizationId: $id, limits: $limits) { id name limits { ${limitsFields} } } }`,
      variables: {
        id: v.id ?? '',
        limits: {
          ingestRequestsPerSecond: count('--ingest-requests', v['ingest-requests']),
          ingestEventsPerSecond: count('--ingest-events', v['ingest-events']),
          graphqlCostPerSecond: count('--graphql-cost', v['graphql-cost']),
        },
      },
      pick: 'setOrganizationLimits',
    }),
  },
  'key create': {
    usage: 'key create --org <organization id> [--name <name>] [--scope INGEST|READ|MANAGE]… [--expires <RFC 3339 time>]',
    options: { org: { type: 'string' }, name: { type: 'string' }, scope: { type: 'string', multiple: true }, expires: { type: 'string' } },
    request: (v, lists) => ({
      query:
        'mutation($org: ID!, $name: String, $scopes: [ApiKeyScope!], $expiresAt: String) { createApiKey(organizationId: $org, name: $name, scopes: $scopes, expiresAt: $expiresAt) { id apiKey scopes } }',
      variables: { org: v.org ?? '', name: v.name, scopes: lists.scope?.map((scope) => enumValue(scope)), expiresAt: v.expires },
      pick: 'createApiKey',
    }),
  },
  'key list': {
    usage: 'key list --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({
      query: `query($org: ID!) { organization(id: $org) { apiKeys { ${apiKeyFields} } } }`,
      variables: { org: org ?? '' },
      pick: 'organization.apiKeys',
    }),
  },
  'key revoke': {
    usage: 'key revoke --id <api key id>',
    options: { id: { type: 'string' } },
    request: ({ id }) => ({ query: 'mutation($id: ID!) { revokeApiKey(id: $id) }', variables: { id: id ?? '' }, pick: 'revokeApiKey' }),
  },
  'service-key create': {
    usage: 'service-key create --name <name>',
    options: { name: { type: 'string' } },
    request: ({ name }) => ({
      query: 'mutation($name: String!) { createServiceKey(name: $name) { id apiKey scopes } }',
      variables: { name: name ?? '' },
      pick: 'createServiceKey',
    }),
  },
  'user invite': {
    usage: 'user invite --org <organization id> --email <email> --role OWNER|ADMIN|MEMBER|VIEWER',
    options: { org: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } },
    request: (v) => ({
      query: 'mutation($org: ID!, $email: String!, $role: Role!) { inviteUser(organizationId: $org, email: $email, role: $role) { id email role token expiresAt } }',
      variables: { org: v.org ?? '', email: v.email ?? '', role: enumValue(v.role) ?? '' },
      pick: 'inviteUser',
    }),
  },
  'user reset-password': {
    usage: 'user reset-password --email <email>',
    options: { email: { type: 'string' } },
    request: ({ email }) => ({
      query: 'mutation($email: String!) { createPasswordReset(email: $email) { token expiresAt } }',
      variables: { email: email ?? '' },
      pick: 'createPasswordReset',
    }),
  },
  'member list': {
    usage: 'member list --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({
      query: `query($org: ID!) { organization(id: $org) { members { ${memberFields} } } }`,
      variables: { org: org ?? '' },
      pick: 'organization.members',
    }),
  },
  'member set-role': {
    usage: 'member set-role --org <organization id> --user <user id> --role OWNER|ADMIN|MEMBER|VIEWER',
    options: { org: { type: 'string' }, user: { type: 'string' }, role: { type: 'string' } },
    request: (v) => ({
      query: `mutation($org: ID!, $user: ID!, $role: Role!) { setMemberRole(organizationId: $org, userId: $user, role: $role) { ${memberFields} } }`,
      variables: { org: v.org ?? '', user: v.user ?? '', role: enumValue(v.role) ?? '' },
      pick: 'setMemberRole',
    }),
  },
  'member remove': {
    usage: 'member remove --org <organization id> --user <user id>',
    options: { org: { type: 'string' }, user: { type: 'string' } },
    request: (v) => ({
      query: 'mutation($org: ID!, $user: ID!) { removeMember(organizationId: $org, userId: $user) }',
      variables: { org: v.org ?? '', user: v.user ?? '' },
      pick: 'removeMember',
    }),
  },
  'invitation list': {
    usage: 'invitation list --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({
      query: 'query($org: ID!) { organization(id: $org) { invitations { id email role createdAt expiresAt } } }',
      variables: { org: org ?? '' },
      pick: 'organization.invitations',
    }),
  },
  'invitation revoke': {
    usage: 'invitation revoke --id <invitation id>',
    options: { id: { type: 'string' } },
    request: ({ id }) => ({ query: 'mutation($id: ID!) { revokeInvitation(id: $id) }', variables: { id: id ?? '' }, pick: 'revokeInvitation' }),
  },
  'audit list': {
    usage: 'audit list [--org <organization id>] [--action <object.verb>] [--from <RFC 3339 time>] [--to <RFC 3339 time>] [--limit <count>]',
    options: { org: { type: 'string' }, action: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, limit: { type: 'string' } },
    request: (v) => ({
      query:
        'query($org: ID, $action: String, $from: String, $to: String, $limit: Int) { auditLog(organizationId: $org, action: $action, from: $from, to: $to, limit: $limit) { at actor action target organizationId clientAddress } }',
      variables: { org: v.org, action: v.action, from: v.from, to: v.to, limit: count('--limit', v.limit) },
      pick: 'auditLog',
    }),
  },
  'webhook create': {
    usage: 'webhook create --url <https URL> --event <type or pattern>… [--org <organization id>] [--description <text>]',
    options: { url: { type: 'string' }, event: { type: 'string', multiple: true }, org: { type: 'string' }, description: { type: 'string' } },
    request: (v, lists) => ({
      query: `mutation($url: String!, $events: [String!]!, $org: ID, $description: String) { createWebhookEndpoint(url: $url, eventTypes: $events, organizationId: $org, description: $description) { endpoint { ${webhookFields} } secret } }`,
      variables: { url: v.url ?? '', events: lists.event ?? [], org: v.org, description: v.description },
      pick: 'createWebhookEndpoint',
    }),
  },
  'webhook list': {
    usage: 'webhook list [--org <organization id>]',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({ query: `query($org: ID) { webhookEndpoints(organizationId: $org) { ${webhookFields} } }`, variables: { org }, pick: 'webhookEndpoints' }),
  },
  'webhook update': {
    usage: 'webhook update --id <webhook endpoint id> [--url <https URL>] [--event <type or pattern>]… [--description <text>]',
    options: { id: { type: 'string' }, url: { type: 'string' }, event: { type: 'string', multiple: true }, description: { type: 'string' } },
    request: (v, lists) => ({
      query: `mutation($id: ID!, $url: String, $events: [String!], $description: String) { updateWebhookEndpoint(id: $id, url: $url, eventTypes: $events, description: $description) { ${webhookFields} } }`,
      variables: { id: v.id ?? '', url: v.url, events: lists.event, description: v.description },
      pick: 'updateWebhookEndpoint',
    }),
  },
  'webhook enable': setWebhookEnabled(true),
  'webhook disable': setWebhookEnabled(false),
  'webhook rotate-secret': {
    usage: 'webhook rotate-secret --id <webhook endpoint id>',
    options: { id: { type: 'string' } },
    request: ({ id }) => ({
      query: `mutation($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { ${webhookFields} } secret } }`,
      variables: { id: id ?? '' },
      pick: 'rotateWebhookSecret',
    }),
  },
  'webhook delete': {
    usage: 'webhook delete --id <webhook endpoint id>',
    options: { id: { type: 'string' } },
    request: ({ id }) => ({ query: 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', variables: { id: id ?? '' }, pick: 'deleteWebhookEndpoint' }),
  },
  'webhook deliveries': {
    usage: 'webhook deliveries --id <webhook endpoint id> [--status PENDING|DELIVERED|FAILED] [--limit <count>]',
    options: { id: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' } },
    request: (v) => ({
      query: `query($id: ID!, $status: WebhookDeliveryStatus, $limit: Int) { webhookDeliveries(endpointId: $id, status: $status, limit: $limit) { ${webhookMessageFields} } }`,
      variables: { id: v.id ?? '', status: enumValue(v.status), limit: count('--limit', v.limit) },
      pick: 'webhookDeliveries',
    }),
  },
  'webhook redeliver': {
    usage: 'webhook redeliver --message <message id (msg_…)>',
    options: { message: { type: 'string' } },
    request: ({ message }) => ({
      query: `mutation($message: ID!) { redeliverWebhook(messageId: $message) { ${webhookMessageFields} } }`,
      variables: { message: message ?? '' },
      pick: 'redeliverWebhook',
    }),
  },
  'plan set': {
    usage:
      'plan set --org <organization id> --name <name> --metric <metric> [--model PER_UNIT|GRADUATED|VOLUME|PACKAGE] [--unit-price <decimal>] [--free-quota <decimal>] [--tier <upTo>:<unitPrice>[:<flatPrice>]]… [--package-size <decimal> --package-price <decimal>] [--where <key>=<value>,<value>]… [--effective-from <date>]',
    options: {
      org: { type: 'string' },
      name: { type: 'string' },
      metric: { type: 'string' },
      model: { type: 'string' },
      'unit-price': { type: 'string' },
      'free-quota': { type: 'string' },
      tier: { type: 'string', multiple: true },
      'package-size': { type: 'string' },
      'package-price': { type: 'string' },
      where: { type: 'string', multiple: true },
      'effective-from': { type: 'string' },
    },
    request: (v, lists) => ({
      query: `mutation($org: ID!, $name: String!, $metric: String!, $model: PricingModel, $unitPrice: Decimal, $freeQuota: Decimal, $tiers: [PriceTierInput!], $packageSize: Decimal, $packagePrice: Decimal, $where: [PropertyFilter!], $effectiveFrom: String) { setPlan(organizationId: $org, name: $name, metric: $metric, model: $model, unitPrice: $unitPrice, freeQuota: $freeQuota, tiers: $tiers, packageSize: $packageSize, packagePrice: $packagePrice, where: $where, effectiveFrom: $effectiveFrom) { ${planFields} } }`,
      variables: {
        org: v.org ?? '',
        name: v.name ?? '',
        metric: v.metric ?? '',
        model: enumValue(v.model),
        unitPrice: v['unit-price'],
        freeQuota: v['free-quota'],
        tiers: lists.tier?.map(priceTier),
        packageSize: v['package-size'],
        packagePrice: v['package-price'],
        where: lists.where?.map(propertyFilter),
        effectiveFrom: v['effective-from'],
      },
      pick: 'setPlan',
    }),
  },
  'plan list': {
    usage: 'plan list --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({
      query: `query($org: ID!) { organization(id: $org) { plans { ${planFields} } } }`,
      variables: { org: org ?? '' },
      pick: 'organization.plans',
    }),
  },
  'plan history': {
    usage: 'plan history --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({
      query: `query($org: ID!) { organization(id: $org) { planHistory { ${planFields} } } }`,
      variables: { org: org ?? '' },
      pick: 'organization.planHistory',
    }),
  },
  'terms get': {
    usage: 'terms get --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({
      query: `query($org: ID!) { organization(id: $org) { billingTerms { ${termsFields} } } }`,
      variables: { org: org ?? '' },
      pick: 'organization.billingTerms',
    }),
  },
  'terms set': {
    usage: 'terms set --org <organization id> [--time-zone <IANA zone>] [--fee <decimal>] [--fee-name <name>] [--minimum <decimal>] [--currency <ISO 4217>]',
    options: {
      org: { type: 'string' },
      'time-zone': { type: 'string' },
      fee: { type: 'string' },
      'fee-name': { type: 'string' },
      minimum: { type: 'string' },
      currency: { type: 'string' },
    },
    request: (v) => ({
      query: `mutation($org: ID!, $timeZone: String, $fee: Decimal, $feeName: String, $minimum: Decimal, $currency: String) { setBillingTerms(organizationId: $org, timeZone: $timeZone, recurringFee: $fee, recurringFeeName: $feeName, minimum: $minimum, currency: $currency) { ${termsFields} } }`,
      variables: { org: v.org ?? '', timeZone: v['time-zone'], fee: v.fee, feeName: v['fee-name'], minimum: v.minimum, currency: v.currency },
      pick: 'setBillingTerms',
    }),
  },
  'stripe link': {
    usage: 'stripe link --org <organization id> [--customer <cus_…>] [--collection charge_automatically|send_invoice] [--days-until-due <days>]',
    options: { org: { type: 'string' }, customer: { type: 'string' }, collection: { type: 'string' }, 'days-until-due': { type: 'string' } },
    request: (v) => ({
      query:
        'mutation($org: ID!, $customer: String, $collection: StripeCollectionMethod, $days: Int) { setStripeCustomer(organizationId: $org, customerId: $customer, collectionMethod: $collection, daysUntilDue: $days) { customerId collectionMethod daysUntilDue } }',
      variables: { org: v.org ?? '', customer: v.customer, collection: enumValue(v.collection), days: count('--days-until-due', v['days-until-due']) },
      pick: 'setStripeCustomer',
    }),
  },
  'stripe send': {
    usage: 'stripe send --invoice <invoice id>',
    options: { invoice: { type: 'string' } },
    request: ({ invoice }) => ({ query: 'mutation($id: ID!) { sendInvoiceToStripe(id: $id) }', variables: { id: invoice ?? '' }, pick: 'sendInvoiceToStripe' }),
  },
  'invoice list': {
    usage: 'invoice list --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({ query: `query($org: ID!) { organization(id: $org) { invoices { ${invoiceFields} } } }`, variables: { org: org ?? '' }, pick: 'organization.invoices' }),
  },
  'invoice generate': {
    usage: 'invoice generate --org <organization id> --from <date> --to <date>',
    options: { org: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
    request: ({ org, from, to }) => ({
      query: `mutation($org: ID!, $from: String!, $to: String!) { generateInvoice(organizationId: $org, periodStart: $from, periodEnd: $to) { ${invoiceFields} } }`,
      variables: { org: org ?? '', from: from ?? '', to: to ?? '' },
      pick: 'generateInvoice',
    }),
  },
  'invoice finalize': {
    usage: 'invoice finalize --id <invoice id>',
    options: { id: { type: 'string' } },
    request: ({ id }) => ({ query: `mutation($id: ID!) { finalizeInvoice(id: $id) { ${invoiceFields} } }`, variables: { id: id ?? '' }, pick: 'finalizeInvoice' }),
  },
  'invoice void': {
    usage: 'invoice void --id <invoice id> --reason <text>',
    options: { id: { type: 'string' }, reason: { type: 'string' } },
    request: ({ id, reason }) => ({
      query: `mutation($id: ID!, $reason: String!) { voidInvoice(id: $id, reason: $reason) { ${invoiceFields} } }`,
      variables: { id: id ?? '', reason: reason ?? '' },
      pick: 'voidInvoice',
    }),
  },
  'invoice close': {
    usage: 'invoice close',
    options: {},
    request: () => ({ query: `mutation { closeInvoices { ${invoiceFields} } }`, variables: {}, pick: 'closeInvoices' }),
  },
  'meter create': {
    usage: 'meter create --metric <metric> --name <name> --aggregation SUM|COUNT|MAX|LATEST|UNIQUE_COUNT [--value-property <key>] [--group-by <key>,<key>]',
    options: { metric: { type: 'string' }, name: { type: 'string' }, aggregation: { type: 'string' }, 'value-property': { type: 'string' }, 'group-by': { type: 'string' } },
    request: (v) => ({
      query: `mutation($metric: String!, $name: String!, $aggregation: MeterAggregation!, $valueProperty: String, $groupBy: [String!]) { createMeter(metric: $metric, name: $name, aggregation: $aggregation, valueProperty: $valueProperty, groupBy: $groupBy) { ${meterFields} } }`,
      variables: {
        metric: v.metric ?? '',
        name: v.name ?? '',
        aggregation: enumValue(v.aggregation),
        valueProperty: v['value-property'],
        groupBy: commaList(v['group-by']),
      },
      pick: 'createMeter',
    }),
  },
  'meter list': {
    usage: 'meter list',
    options: {},
    request: () => ({ query: `{ meters { ${meterFields} } }`, variables: {}, pick: 'meters' }),
  },
  'usage storage': {
    usage: 'usage storage  (the raw events kept, month by month, and what retention has dropped)',
    options: {},
    request: () => ({ query: '{ usageStorage { retentionMonths retainedSince months { month approximateEvents bytes } } }', variables: {}, pick: 'usageStorage' }),
  },
  'usage get': {
    usage:
      'usage get --org <organization id> --metric <metric> [--from <date>] [--to <date>] [--window HOUR|DAY|MONTH] [--time-zone <IANA zone>] [--group-by <key>,<key>] [--where <key>=<value>,<value>]…',
    options: {
      org: { type: 'string' },
      metric: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      window: { type: 'string' },
      'time-zone': { type: 'string' },
      'group-by': { type: 'string' },
      where: { type: 'string', multiple: true },
    },
    request: (v, lists) => ({
      query:
        'query($org: ID!, $metric: String!, $from: String, $to: String, $window: WindowSize, $timeZone: String, $groupBy: [String!], $where: [PropertyFilter!]) { organization(id: $org) { usage(metric: $metric, from: $from, to: $to, windowSize: $window, timeZone: $timeZone, groupBy: $groupBy, where: $where) { metric periodStart periodEnd value groups { key value } } } }',
      variables: {
        org: v.org ?? '',
        metric: v.metric ?? '',
        from: v.from,
        to: v.to,
        window: enumValue(v.window),
        timeZone: v['time-zone'],
        groupBy: commaList(v['group-by']),
        where: (lists.where ?? []).map(propertyFilter),
      },
      pick: 'organization.usage',
    }),
  },
  'alert create': {
    usage: 'alert create --org <organization id> --budget <decimal> [--metric <metric>] [--percent <decimal>]…  (no --metric: the draft invoice amount; default --percent 80 --percent 100)',
    options: { org: { type: 'string' }, metric: { type: 'string' }, budget: { type: 'string' }, percent: { type: 'string', multiple: true } },
    request: (v, lists) => ({
      query: `mutation($org: ID!, $metric: String, $budget: Decimal!, $percentages: [Decimal!]) { createUsageAlert(organizationId: $org, metric: $metric, budget: $budget, percentages: $percentages) { ${alertFields} } }`,
      variables: { org: v.org ?? '', metric: v.metric, budget: v.budget ?? '', percentages: lists.percent },
      pick: 'createUsageAlert',
    }),
  },
  'alert list': {
    usage: 'alert list --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({ query: `query($org: ID!) { organization(id: $org) { usageAlerts { ${alertFields} } } }`, variables: { org: org ?? '' }, pick: 'organization.usageAlerts' }),
  },
  'alert delete': {
    usage: 'alert delete --id <alert id>',
    options: { id: { type: 'string' } },
    request: ({ id }) => ({ query: 'mutation($id: ID!) { deleteUsageAlert(id: $id) }', variables: { id: id ?? '' }, pick: 'deleteUsageAlert' }),
  },
  'entitlement set': {
    usage:
      'entitlement set --org <organization id> --feature <key> [--limit <decimal> [--metric <metric>] [--soft true]] [--enabled false]  (a --limit makes it metered; without one, a feature on or off)',
    options: {
      org: { type: 'string' },
      feature: { type: 'string' },
      metric: { type: 'string' },
      limit: { type: 'string' },
      soft: { type: 'string' },
      enabled: { type: 'string' },
    },
    request: (v) => ({
      query: `mutation($org: ID!, $feature: String!, $metric: String, $limit: Decimal, $soft: Boolean, $enabled: Boolean) { setEntitlement(organizationId: $org, feature: $feature, metric: $metric, limit: $limit, soft: $soft, enabled: $enabled) { ${entitlementFields} } }`,
      variables: { org: v.org ?? '', feature: v.feature ?? '', metric: v.metric, limit: v.limit, soft: yesNo('--soft', v.soft), enabled: yesNo('--enabled', v.enabled) },
      pick: 'setEntitlement',
    }),
  },
  'entitlement list': {
    usage: 'entitlement list --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({
      query: `query($org: ID!) { organization(id: $org) { entitlements { ${entitlementFields} } } }`,
      variables: { org: org ?? '' },
      pick: 'organization.entitlements',
    }),
  },
  'entitlement delete': {
    usage: 'entitlement delete --org <organization id> --feature <key>',
    options: { org: { type: 'string' }, feature: { type: 'string' } },
    request: ({ org, feature }) => ({
      query: 'mutation($org: ID!, $feature: String!) { deleteEntitlement(organizationId: $org, feature: $feature) }',
      variables: { org: org ?? '', feature: feature ?? '' },
      pick: 'deleteEntitlement',
    }),
  },
  'entitlement check': {
    usage: 'entitlement check --org <organization id> --feature <key>',
    options: { org: { type: 'string' }, feature: { type: 'string' } },
    request: ({ org, feature }) => ({
      query: `query($org: ID!, $feature: String!) { organization(id: $org) { entitlement(feature: $feature) { ${entitlementCheckFields} } } }`,
      variables: { org: org ?? '', feature: feature ?? '' },
      pick: 'organization.entitlement',
    }),
  },
};
