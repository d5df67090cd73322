/**
 * Every function of Polaris, in one list. The bundler, the local host
 * (`npm start`) and the Knative manifests all read it, so a function cannot
 * exist in one place and be missing from another.
 */
import type { FunctionEntry } from '../shared/runtime/index.js';

export const functionRegistry = [
  // Identity
  { name: 'validate-api-key', service: 'identity', kind: 'grpc', module: 'identity/validate-api-key' },
  { name: 'get-organization', service: 'identity', kind: 'grpc', module: 'identity/get-organization' },
  { name: 'create-organization', service: 'identity', kind: 'grpc', module: 'identity/create-organization' },
  { name: 'list-organizations', service: 'identity', kind: 'grpc', module: 'identity/list-organizations' },
  { name: 'set-organization-limits', service: 'identity', kind: 'grpc', module: 'identity/set-organization-limits' },
  { name: 'create-api-key', service: 'identity', kind: 'grpc', module: 'identity/create-api-key' },
  { name: 'list-api-keys', service: 'identity', kind: 'grpc', module: 'identity/list-api-keys' },
  { name: 'revoke-api-key', service: 'identity', kind: 'grpc', module: 'identity/revoke-api-key' },
  { name: 'sign-in', service: 'identity', kind: 'grpc', module: 'identity/sign-in' },
  { name: 'refresh-session', service: 'identity', kind: 'grpc', module: 'identity/refresh-session' },
  { name: 'sign-out', service: 'identity', kind: 'grpc', module: 'identity/sign-out' },
  { name: 'validate-session', service: 'identity', kind: 'grpc', module: 'identity/validate-session' },
  { name: 'sign-in-with-oidc', service: 'identity', kind: 'grpc', module: 'identity/sign-in-with-oidc' },
  { name: 'get-user', service: 'identity', kind: 'grpc', module: 'identity/get-user' },
  { name: 'change-password', service: 'identity', kind: 'grpc', module: 'identity/change-password' },
  { name: 'create-password-reset', service: 'identity', kind: 'grpc', module: 'identity/create-password-reset' },
  { name: 'reset-password', service: 'identity', kind: 'grpc', module: 'identity/reset-password' },
  { name: 'invite-user', service: 'identity', kind: 'grpc', module: 'identity/invite-user' },
  { name: 'accept-invitation', service: 'identity', kind: 'grpc', module: 'identity/accept-invitation' },
  { name: 'list-invitations', service: 'identity', kind: 'grpc', module: 'identity/list-invitations' },
  { name: 'revoke-invitation', service: 'identity', kind: 'grpc', module: 'identity/revoke-invitation' },
  { name: 'list-members', service: 'identity', kind: 'grpc', module: 'identity/list-members' },
  { name: 'set-member-role', service: 'identity', kind: 'grpc', module: 'identity/set-member-role' },
  { name: 'remove-member', service: 'identity', kind: 'grpc', module: 'identity/remove-member' },
  { name: 'get-api-key', service: 'identity', kind: 'grpc', module: 'identity/get-api-key' },
  { name: 'create-service-key', service: 'identity', kind: 'grpc', module: 'identity/create-service-key' },
  { name: 'resolve-organization', service: 'identity', kind: 'grpc', module: 'identity/resolve-organization' },
  { name: 'list-audit-log', service: 'identity', kind: 'grpc', module: 'identity/list-audit-log' },

  // Usage
  { name: 'ingest', service: 'usage', kind: 'http', module: 'usage/ingest' },
  { name: 'record-usage', service: 'usage', kind: 'grpc', module: 'usage/record-usage' },
  { name: 'get-usage-summary', service: 'usage', kind: 'grpc', module: 'usage/get-usage-summary' },
  { name: 'create-meter', service: 'usage', kind: 'grpc', module: 'usage/create-meter' },
  { name: 'list-meters', service: 'usage', kind: 'grpc', module: 'usage/list-meters' },
  { name: 'get-event-storage', service: 'usage', kind: 'grpc', module: 'usage/get-event-storage' },
  {
    name: 'aggregate',
    service: 'usage',
    kind: 'event',
    module: 'usage/aggregate',
    subscribes: ['dev.polaris.aggregation.requested', 'dev.knative.sources.ping'],
  },

  // Billing
  { name: 'generate-invoice', service: 'billing', kind: 'grpc', module: 'billing/generate-invoice' },
  { name: 'list-invoices', service: 'billing', kind: 'grpc', module: 'billing/list-invoices' },
  { name: 'set-plan', service: 'billing', kind: 'grpc', module: 'billing/set-plan' },
  { name: 'list-plans', service: 'billing', kind: 'grpc', module: 'billing/list-plans' },
  { name: 'finalize-invoice', service: 'billing', kind: 'grpc', module: 'billing/finalize-invoice' },
  { name: 'get-invoice', service: 'billing', kind: 'grpc', module: 'billing/get-invoice' },
  { name: 'list-plan-versions', service: 'billing', kind: 'grpc', module: 'billing/list-plan-versions' },
  { name: 'void-invoice', service: 'billing', kind: 'grpc', module: 'billing/void-invoice' },
  { name: 'get-billing-terms', service: 'billing', kind: 'grpc', module: 'billing/get-billing-terms' },
  { name: 'set-billing-terms', service: 'billing', kind: 'grpc', module: 'billing/set-billing-terms' },
  { name: 'close-invoices', service: 'billing', kind: 'grpc', module: 'billing/close-invoices' },
  { name: 'create-usage-alert', service: 'billing', kind: 'grpc', module: 'billing/create-usage-alert' },
  { name: 'list-usage-alerts', service: 'billing', kind: 'grpc', module: 'billing/list-usage-alerts' },
  { name: 'delete-usage-alert', service: 'billing', kind: 'grpc', module: 'billing/delete-usage-alert' },
  { name: 'set-entitlement', service: 'billing', kind: 'grpc', module: 'billing/set-entitlement' },
  { name: 'list-entitlements', service: 'billing', kind: 'grpc', module: 'billing/list-entitlements' },
  { name: 'delete-entitlement', service: 'billing', kind: 'grpc', module: 'billing/delete-entitlement' },
  { name: 'check-entitlement', service: 'billing', kind: 'grpc', module: 'billing/check-entitlement' },
  { name: 'set-invoice-payment-status', service: 'billing', kind: 'grpc', module: 'billing/set-invoice-payment-status' },
  {
    name: 'close-due-invoices',
    service: 'billing',
    kind: 'event',
    module: 'billing/close-due-invoices',
    subscribes: ['dev.polaris.aggregation.completed'],
  },
  {
    name: 'on-aggregate-updated',
    service: 'billing',
    kind: 'event',
    module: 'billing/on-aggregate-updated',
    subscribes: ['dev.polaris.aggregate.updated'],
  },
  { name: 'invoice-document', service: 'billing', kind: 'http', module: 'billing/invoice-document' },

  // Payments (Stripe; off until STRIPE_SECRET_KEY is set)
  { name: 'set-stripe-customer', service: 'payments', kind: 'grpc', module: 'payments/set-stripe-customer' },
  { name: 'get-stripe-customer', service: 'payments', kind: 'grpc', module: 'payments/get-stripe-customer' },
  { name: 'send-invoice', service: 'payments', kind: 'grpc', module: 'payments/send-invoice' },
  {
    name: 'send-invoice-to-stripe',
    service: 'payments',
    kind: 'event',
    module: 'payments/send-invoice-to-stripe',
    subscribes: ['dev.polaris.invoice.finalized'],
  },
  {
    name: 'void-invoice-in-stripe',
    service: 'payments',
    kind: 'event',
    module: 'payments/void-invoice-in-stripe',
    subscribes: ['dev.polaris.invoice.voided'],
  },
  { name: 'stripe-webhook', service: 'payments', kind: 'http', module: 'payments/stripe-webhook' },
  // Webhooks
  { name: 'create-webhook-endpoint', service: 'webhooks', kind: 'grpc', module: 'webhooks/create-webhook-endpoint' },
  { name: 'list-webhook-endpoints', service: 'webhooks', kind: 'grpc', module: 'webhooks/list-webhook-endpoints' },
  { name: 'update-webhook-endpoint', service: 'webhooks', kind: 'grpc', module: 'webhooks/update-webhook-endpoint' },
  { name: 'rotate-webhook-secret', service: 'webhooks', kind: 'grpc', module: 'webhooks/rotate-webhook-secret' },
  { name: 'delete-webhook-endpoint', service: 'webhooks', kind: 'grpc', module: 'webhooks/delete-webhook-endpoint' },
  { name: 'list-webhook-deliveries', service: 'webhooks', kind: 'grpc', module: 'webhooks/list-webhook-deliveries' },
  { name: 'redeliver-webhook', service: 'webhooks', kind: 'grpc', module: 'webhooks/redeliver-webhook' },
  {
    name: 'fan-out-webhooks',
    service: 'webhooks',
    kind: 'event',
    module: 'webhooks/fan-out-webhooks',
    // Every type an endpoint may receive (functions/webhooks/domain/event-types.ts).
    subscribes: [
      'dev.polaris.invoice.created',
      'dev.polaris.invoice.updated',
      'dev.polaris.invoice.finalized',
      'dev.polaris.invoice.voided',
      'dev.polaris.invoice.paid',
      'dev.polaris.invoice.payment_failed',
      'dev.polaris.invoice.uncollectible',
      'dev.polaris.usage.threshold.crossed',
      'dev.polaris.webhook.endpoint.disabled',
    ],
  },
  {
    name: 'deliver-due-webhooks',
    service: 'webhooks',
    kind: 'event',
    module: 'webhooks/deliver-due-webhooks',
    subscribes: ['dev.polaris.webhooks.delivery-due'],
  },

  // Gateway
  { name: 'gateway', service: 'gateway', kind: 'http', module: 'gateway/graphql', leanStart: true, routeSchemas: true },
  { name: 'dashboard', service: 'gateway', kind: 'http', module: 'dashboard/dashboard' },

  // Identity's routes for the browser, last so that the older functions keep their compose ports.
  { name: 'oidc', service: 'identity', kind: 'http', module: 'identity/oidc' },
] as const satisfies readonly FunctionEntry[];

export type FunctionName = (typeof functionRegistry)[number]['name'];
