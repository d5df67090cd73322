/**
 * gRPC requests to every RPC of Identity, Usage and Billing: the RPCs with
 * what each field means, and values for it by that meaning (valid and
 * invalid ids, empty, unicode, huge and hostile strings, periods out of
 * PostgreSQL's range), completed with the message's defaults; and the
 * credentials they are sent with.
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import {
  BillingService,
  CheckEntitlementRequest,
  CreateUsageAlertRequest,
  DeleteEntitlementRequest,
  DeleteUsageAlertRequest,
  FinalizeInvoiceRequest,
  GenerateInvoiceRequest,
  ListEntitlementsRequest,
  ListInvoicesRequest,
  ListPlansRequest,
  ListUsageAlertsRequest,
  SetEntitlementRequest,
  SetPlanRequest,
} from '../../../proto/gen/polaris/billing/v1/billing.js';
import {
  CreateApiKeyRequest,
  CreateOrganizationRequest,
  GetOrganizationRequest,
  IdentityService,
  ListApiKeysRequest,
  ListOrganizationsRequest,
  RevokeApiKeyRequest,
  OrganizationLimits,
  SetOrganizationLimitsRequest,
  ValidateApiKeyRequest,
} from '../../../proto/gen/polaris/identity/v1/identity.js';
import { GetUsageSummaryRequest, RecordUsageRequest, UsageService } from '../../../proto/gen/polaris/usage/v1/usage.js';
import {
  CreateWebhookEndpointRequest,
  DeleteWebhookEndpointRequest,
  ListWebhookDeliveriesRequest,
  ListWebhookEndpointsRequest,
  RedeliverWebhookRequest,
  RotateWebhookSecretRequest,
  WebhooksService,
} from '../../../proto/gen/polaris/webhooks/v1/webhooks.js';
import { testAdminToken } from '../../support/grpc.js';
import type { TestTenant } from '../../support/tenants.js';
import { hostileNumberLiteral, validQuantityLiteral } from './numbers.js';
import { hostileMetric, hostileString, oddUuidText, uuid, validMetric } from './text.js';
import { hostileTimestampText } from './timestamps.js';

/** The tenants a lane's requests name. */
export interface RequestTenants {
  tenant: TestTenant;
  /** A tenant whose key the requests may revoke (never the one checked at the end). */
  victim: TestTenant;
  /** The tenant whose key was revoked before any use. */
  revoked: TestTenant;
}

/** What a request field means, which decides the values it gets. */
type Kind = 'id' | 'keyId' | 'apiKey' | 'name' | 'metric' | 'quantity' | 'timestamp' | 'key' | 'date' | 'amount' | 'currency' | 'limits';

const dateText = fc.oneof(
  fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2026-11-01', '2026-12-01', '2026-11-01T00:00:00Z', '2026-11-30T23:59:59.999999999+01:00'),
  fc.constantFrom('0000-01-01', '0000-02-01', '0001-01-01', '9999-12-01', '9999-12-31', '9999-12-31T23:59:59Z', '10000-01-01', '2026-02-30', '2026-13-01', '2026-1-1'),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  hostileTimestampText,
);

/** A limit a second as the wire may carry it (any int32): in range, 0 (the default), negative, or beyond the maximum. */
const limitValue = fc.oneof(
  fc.integer({ min: 1, max: 10_000_000 }),
  fc.constantFrom(0, -1, 10_000_001, 2 ** 31 - 1, -(2 ** 31)),
  fc.integer(),
);

/** A message's defaults (what decoding no bytes gives) under the fields drawn. */
const withDefaults = <T extends object>(message: { decode(bytes: Uint8Array): T }, drawn: object): T => ({ ...message.decode(new Uint8Array(0)), ...drawn });

/** OrganizationLimits: any of its three limits, each any such value. */
const limitsMessage = fc
  .record({ ingestRequestsPerSecond: limitValue, ingestEventsPerSecond: limitValue, graphqlCostPerSecond: limitValue }, { requiredKeys: [] })
  .map((drawn) => withDefaults(OrganizationLimits, drawn));

function valueOf(kind: Kind, lane: RequestTenants): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'id':
      return fc.oneof(
        { weight: 4, arbitrary: fc.constant(lane.tenant.organizationId) },
        { weight: 2, arbitrary: uuid },
        { weight: 2, arbitrary: oddUuidText },
        { weight: 2, arbitrary: hostileString },
        { weight: 1, arbitrary: fc.constant('') },
      );
    case 'keyId':
      return fc.oneof(
        { weight: 2, arbitrary: fc.constant(lane.victim.apiKeyId) },
        { weight: 2, arbitrary: uuid },
        { weight: 2, arbitrary: oddUuidText },
        { weight: 2, arbitrary: hostileString },
        { weight: 1, arbitrary: fc.constant(lane.tenant.organizationId) },
      );
    case 'apiKey':
      return fc.oneof(
        fc.constant(lane.tenant.apiKey),
        fc.constant(lane.revoked.apiKey),
        fc.stringMatching(/^pol_[A-Za-z0-9_-]{40}$/),
        fc.constant(lane.tenant.apiKey.slice(0, 12)),
        fc.constant(`${lane.tenant.apiKey} `),
        hostileString,
      );
    case 'name':
      return fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), hostileString, fc.constantFrom('   ', 'n'.repeat(200), 'n'.repeat(201), ' padded '));
    case 'metric':
      return fc.oneof(validMetric, hostileMetric);
    case 'quantity':
    case 'amount':
      return fc.oneof(validQuantityLiteral, hostileNumberLiteral, hostileString, fc.constantFrom('', ' 1', '1 ', '+1', '1,5', '0x10', 'NaN', '-0'));
    case 'timestamp':
      return fc.oneof(
        fc.integer({ min: -34 * 86_400_000, max: 60_000 }).map((offset) => new Date(Date.now() + offset).toISOString()),
        hostileTimestampText,
        fc.constant(''),
      );
    case 'key':
      return fc.oneof(fc.string({ maxLength: 40 }), hostileString);
    case 'date':
      return dateText;
    case 'currency':
      return fc.oneof(fc.constantFrom('', 'USD', 'EUR', 'usd', 'JPY', 'XYZ', 'US', 'USDD', 'BTC'), hostileString);
    case 'limits':
      return limitsMessage;
  }
}

/** An RPC as the fuzz sends it: its method, its message, what its fields mean, and whether only the operator may call it. */
export interface Rpc {
  name: string;
  method: grpc.MethodDefinition<object, unknown>;
  fromPartial(value: object): object;
  fields: Record<string, Kind>;
  operatorOnly: boolean;
}

/** One RPC: its generated method definition, and its request message, whose defaults fill the fields not drawn. */
const rpc = <T extends object>(
  name: string,
  method: { path: string; requestSerialize(value: T): Buffer },
  message: { decode(bytes: Uint8Array): T },
  fields: Record<string, Kind>,
  operatorOnly: boolean,
): Rpc => ({ name, method: method as unknown as grpc.MethodDefinition<object, unknown>, fromPartial: (value) => withDefaults(message, value), fields, operatorOnly });

/** Every RPC of Identity, Usage and Billing, and Webhooks' that take only text (and an organization's limits). */
export const rpcs: Rpc[] = [
  rpc('Identity/ValidateApiKey', IdentityService.validateApiKey, ValidateApiKeyRequest, { apiKey: 'apiKey' }, false),
  rpc('Identity/GetOrganization', IdentityService.getOrganization, GetOrganizationRequest, { organizationId: 'id' }, false),
  rpc('Identity/CreateOrganization', IdentityService.createOrganization, CreateOrganizationRequest, { name: 'name' }, true),
  rpc('Identity/ListOrganizations', IdentityService.listOrganizations, ListOrganizationsRequest, {}, true),
  rpc('Identity/CreateApiKey', IdentityService.createApiKey, CreateApiKeyRequest, { organizationId: 'id' }, true),
  rpc('Identity/ListApiKeys', IdentityService.listApiKeys, ListApiKeysRequest, { organizationId: 'id' }, true),
  rpc('Identity/RevokeApiKey', IdentityService.revokeApiKey, RevokeApiKeyRequest, { apiKeyId: 'keyId' }, true),
  rpc('Identity/SetOrganizationLimits', IdentityService.setOrganizationLimits, SetOrganizationLimitsRequest, { organizationId: 'id', limits: 'limits' }, true),
  rpc(
    'Usage/RecordUsage',
    UsageService.recordUsage,
    RecordUsageRequest,
    { organizationId: 'id', metric: 'metric', quantity: 'quantity', timestamp: 'timestamp', idempotencyKey: 'key' },
    false,
  ),
  rpc('Usage/GetUsageSummary', UsageService.getUsageSummary, GetUsageSummaryRequest, { organizationId: 'id', metric: 'metric', from: 'date', to: 'date' }, false),
  rpc('Billing/GenerateInvoice', BillingService.generateInvoice, GenerateInvoiceRequest, { organizationId: 'id', periodStart: 'date', periodEnd: 'date' }, true),
  rpc('Billing/ListInvoices', BillingService.listInvoices, ListInvoicesRequest, { organizationId: 'id' }, false),
  rpc(
    'Billing/SetPlan',
    BillingService.setPlan,
    SetPlanRequest,
    { organizationId: 'id', name: 'name', metric: 'metric', unitPrice: 'amount', freeQuota: 'amount', currency: 'currency' },
    true,
  ),
  rpc('Billing/ListPlans', BillingService.listPlans, ListPlansRequest, { organizationId: 'id' }, false),
  rpc('Billing/FinalizeInvoice', BillingService.finalizeInvoice, FinalizeInvoiceRequest, { invoiceId: 'id' }, true),
  rpc('Billing/CreateUsageAlert', BillingService.createUsageAlert, CreateUsageAlertRequest, { organizationId: 'id', metric: 'metric', budget: 'amount' }, true),
  rpc('Billing/ListUsageAlerts', BillingService.listUsageAlerts, ListUsageAlertsRequest, { organizationId: 'id' }, false),
  rpc('Billing/DeleteUsageAlert', BillingService.deleteUsageAlert, DeleteUsageAlertRequest, { alertId: 'id', organizationId: 'id' }, true),
  // A feature's key follows a metric's rules.
  rpc('Billing/SetEntitlement', BillingService.setEntitlement, SetEntitlementRequest, { organizationId: 'id', feature: 'metric', metric: 'metric', limit: 'amount' }, true),
  rpc('Billing/ListEntitlements', BillingService.listEntitlements, ListEntitlementsRequest, { organizationId: 'id' }, false),
  rpc('Billing/DeleteEntitlement', BillingService.deleteEntitlement, DeleteEntitlementRequest, { organizationId: 'id', feature: 'metric' }, true),
  rpc('Billing/CheckEntitlement', BillingService.checkEntitlement, CheckEntitlementRequest, { organizationId: 'id', feature: 'metric' }, false),
  rpc('Webhooks/CreateWebhookEndpoint', WebhooksService.createWebhookEndpoint, CreateWebhookEndpointRequest, { organizationId: 'id', url: 'key', description: 'name' }, true),
  rpc('Webhooks/ListWebhookEndpoints', WebhooksService.listWebhookEndpoints, ListWebhookEndpointsRequest, { organizationId: 'id' }, true),
  rpc('Webhooks/RotateWebhookSecret', WebhooksService.rotateWebhookSecret, RotateWebhookSecretRequest, { id: 'id', organizationId: 'id' }, true),
  rpc('Webhooks/DeleteWebhookEndpoint', WebhooksService.deleteWebhookEndpoint, DeleteWebhookEndpointRequest, { id: 'id', organizationId: 'id' }, true),
  rpc('Webhooks/ListWebhookDeliveries', WebhooksService.listWebhookDeliveries, ListWebhookDeliveriesRequest, { endpointId: 'id', organizationId: 'id' }, true),
  rpc('Webhooks/RedeliverWebhook', WebhooksService.redeliverWebhook, RedeliverWebhookRequest, { messageId: 'key', organizationId: 'id' }, true),
];

/** How a call authenticates: the operator token, none, a wrong token, or a malformed authorization. */
export type Credentials = 'operator' | 'none' | 'wrong' | 'malformed';
export const credentials = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Credentials>('operator') },
  { weight: 2, arbitrary: fc.constant<Credentials>('none') },
  { weight: 1, arbitrary: fc.constant<Credentials>('wrong') },
  { weight: 1, arbitrary: fc.constant<Credentials>('malformed') },
);

/** The call's metadata for `creds`; `malformed` is the authorization sent for 'malformed'. */
export function metadataFor(creds: Credentials, malformed: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (creds === 'operator') metadata.set('authorization', `Bearer ${testAdminToken}`);
  if (creds === 'wrong') metadata.set('authorization', 'Bearer not-the-admin-token-at-all');
  if (creds === 'malformed') metadata.set('authorization', malformed);
  return metadata;
}

/** Authorization values that carry no operator token (the scheme itself is case-insensitive, so `bearer <token>` is fine). */
export const malformedAuthorization = fc.constantFrom(
  'Basic dXNlcjpwYXNz',
  'Bearer',
  'Bearer ',
  `Bearer ${testAdminToken} extra`,
  `Basic ${testAdminToken}`,
  testAdminToken,
  `Bearer ${testAdminToken.toUpperCase()}`,
  `Bearer ${testAdminToken.slice(0, -1)}`,
);

/** A period of about a month from any date JS can hold, as dates or timestamps: valid in shape, sometimes out of PostgreSQL's range. */
const period = fc
  .tuple(
    fc.oneof(
      fc.date({ noInvalidDate: true, min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-11-01T00:00:00Z') }),
      fc.constantFrom(new Date('0000-01-01T00:00:00Z'), new Date('9999-12-01T00:00:00Z'), new Date('0001-01-01T00:00:00Z')),
      fc.date({ noInvalidDate: true, min: new Date('2020-01-01'), max: new Date('2030-01-01') }),
    ),
    fc.integer({ min: 1, max: 40 }),
    fc.boolean(),
  )
  .map(([start, days, dateOnly]) => {
    const end = new Date(start.getTime() + days * 86_400_000);
    const text = (d: Date) => (dateOnly ? d.toISOString().slice(0, 10) : d.toISOString());
    return [text(start), text(end)] as const;
  });

/** A request to any RPC: its fields drawn independently, or (for a period) as a start and an end about a month apart. */
export function requestFor(lane: RequestTenants) {
  return fc.oneof(
    ...rpcs.map((r) => {
      const independent = fc.record(Object.fromEntries(Object.entries(r.fields).map(([field, kind]) => [field, valueOf(kind, lane)])), { requiredKeys: [] });
      const dates = Object.entries(r.fields).filter(([, kind]) => kind === 'date').map(([field]) => field);
      const arbitrary =
        dates.length === 2
          ? fc.oneof(independent, fc.tuple(independent, period).map(([partial, [start, end]]) => ({ ...partial, [dates[0]!]: start, [dates[1]!]: end })))
          : independent;
      return arbitrary.map((partial) => ({ rpc: r, partial }));
    }),
  );
}
