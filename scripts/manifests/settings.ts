/**
 * The settings every Polaris container reads, in the cluster (the ConfigMap
 * and Secret) and in compose (each container's environment).
 *
 * @module
 */
import { defaults } from '../../shared/config.js';
import type { FunctionName } from '../../functions/registry.js';
import { deliveryDefaults, httpDelivererDefaults } from '../../functions/event-plane/index.js';
import { clusterHost, natsServer, placeholderPassword, postgresDatabase } from './facts.js';

/** Settings of the whole system in the cluster: the `polaris-config` ConfigMap, sorted by name. */
export function clusterSettings(): Record<string, string> {
  const settings: Record<string, string> = {
    LOG_LEVEL: defaults.logLevel,
    NATS_URL: `nats://${clusterHost('nats')}:${natsServer.clientPort}`,
    // The pool of a process that sets none of its own: compose's containers, one of each. Every Knative
    // Service sets its own share of PostgreSQL's connections (scripts/manifests/knative-services.ts).
    POLARIS_DATABASE_POOL_SIZE: '3',
    POLARIS_ACCESS_TOKEN_SECONDS: String(defaults.accessTokenSeconds),
    POLARIS_API_KEY_CACHE_SECONDS: String(defaults.apiKeyCacheSeconds),
    POLARIS_API_KEY_NEGATIVE_CACHE_SECONDS: String(defaults.apiKeyNegativeCacheSeconds),
    POLARIS_DELIVERY_ADDRESS_TEMPLATE: clusterHost('{name}'),
    POLARIS_DELIVERY_CONCURRENCY: String(deliveryDefaults.concurrency),
    POLARIS_DELIVERY_MAX_DELIVER: String(deliveryDefaults.maxDeliver),
    POLARIS_DELIVERY_TIMEOUT_MS: String(httpDelivererDefaults.timeoutMs),
    // Knative Services answer on port 80 of their cluster-local name.
    POLARIS_FUNCTION_ADDRESS_TEMPLATE: `${clusterHost('{name}')}:80`,
    POLARIS_GRAPHQL_MAX_COST: String(defaults.graphqlMaxCost),
    // The dashboard forwards the routes its page calls on its own origin (/graphql, /invoices/, /auth/oidc) to these.
    ...dashboardUpstreamSettings((name) => `http://${clusterHost(name)}`),
    POLARIS_INVOICE_GRACE_HOURS: String(defaults.invoiceGraceHours),
    // Sign-in through an identity provider: set its JWKS URL (and the iss and aud its tokens carry) to turn it on.
    POLARIS_JWT_AUDIENCE: '',
    POLARIS_JWT_ISSUER: '',
    POLARIS_JWT_JWKS_URL: '',
    POLARIS_JWT_ORGANIZATION_CLAIM: defaults.jwtOrganizationClaim,
    POLARIS_MAX_EVENT_AGE_DAYS: String(defaults.maxEventAgeDays),
    POLARIS_MAX_EVENT_PROPERTIES: String(defaults.maxEventProperties),
    POLARIS_MAX_GROUPS_PER_DAY: String(defaults.maxGroupsPerDay),
    POLARIS_MAX_PROPERTY_LENGTH: String(defaults.maxPropertyLength),
    POLARIS_METER_CACHE_SECONDS: String(defaults.meterCacheSeconds),
    POLARIS_NATS_STREAM: defaults.natsStream,
    // Sign-in through an OpenID Connect provider: set the issuer, the client id (its secret in polaris-secrets)
    // and the public URL of /auth/oidc/callback to turn it on.
    POLARIS_OIDC_ALLOW_HTTP: 'false',
    POLARIS_OIDC_CLIENT_ID: '',
    POLARIS_OIDC_ISSUER: '',
    POLARIS_OIDC_PROVIDER_NAME: '',
    POLARIS_OIDC_REDIRECT_URL: '',
    POLARIS_OIDC_SCOPES: defaults.oidcScopes,
    POLARIS_NATS_SUBJECT_PREFIX: defaults.natsSubjectPrefix,
    // Each organization's default limits across every pod (the operator sets an organization's own); 0 turns every limit off.
    POLARIS_RATE_LIMIT_GRAPHQL_COST_PER_SECOND: String(defaults.rateLimits.graphqlCostPerSecond),
    POLARIS_RATE_LIMIT_INGEST_EVENTS_PER_SECOND: String(defaults.rateLimits.ingestEventsPerSecond),
    POLARIS_RATE_LIMIT_PER_SECOND: String(defaults.rateLimits.ingestRequestsPerSecond),
    POLARIS_REFRESH_TOKEN_DAYS: String(defaults.refreshTokenDays),
    // Who issues the invoices, on their documents; the address's lines separated by \n.
    POLARIS_SELLER_ADDRESS: '',
    POLARIS_SELLER_NAME: defaults.sellerName,
    POLARIS_SHUTDOWN_GRACE_MS: String(defaults.shutdownGraceMs),
    // For tests only: a local stand-in for api.stripe.com. Empty: Stripe itself.
    POLARIS_STRIPE_API_URL: '',
    // Whole months of raw usage events kept before the current one (their aggregates stay); 0 keeps every event.
    POLARIS_USAGE_RETENTION_MONTHS: String(defaults.usageRetentionMonths),
    // Webhook receivers must be public: true only where every receiver is trusted (a test cluster).
    POLARIS_WEBHOOK_ALLOW_PRIVATE: 'false',
    POLARIS_WEBHOOK_DISABLE_AFTER_HOURS: String(defaults.webhookDisableAfterHours),
    POLARIS_WEBHOOK_TIMEOUT_MS: String(defaults.webhookTimeoutMs),
  };
  return Object.fromEntries(Object.entries(settings).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Where the dashboard finds the functions behind the routes its page calls on
 * its own origin; `urlOf` gives a function's base URL by its registry name.
 */
export function dashboardUpstreamSettings(urlOf: (name: FunctionName) => string): Record<string, string> {
  return {
    POLARIS_GATEWAY_URL: urlOf('gateway'),
    POLARIS_INVOICE_DOCUMENT_URL: urlOf('invoice-document'),
    POLARIS_OIDC_FUNCTION_URL: urlOf('oidc'),
  };
}

/** The `polaris-secrets` keys with placeholder values, for people who apply the manifests by hand. */
export function placeholderSecrets(): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl(clusterHost('postgres'), placeholderPassword),
    POLARIS_ADMIN_TOKEN: `${placeholderPassword}-admin-token`,
    POLARIS_JWT_SECRET: `${placeholderPassword}-jwt-secret-0000000`,
    // Empty: OpenID Connect sign-in is off until POLARIS_OIDC_ISSUER is set; a public client (PKCE alone) needs none.
    POLARIS_OIDC_CLIENT_SECRET: '',
    POLARIS_SESSION_SECRET: `${placeholderPassword}-session-secret-00000`,
    // Empty: Stripe payments off. Set the account's secret key and the webhook endpoint's signing secret to turn them on.
    STRIPE_SECRET_KEY: '',
    STRIPE_WEBHOOK_SECRET: '',
    POLARIS_WEBHOOK_SECRET_KEY: `${placeholderPassword}-webhook-secret-key-0`,
  };
}

/** The URL of Polaris's database on the PostgreSQL server at `host`. */
export function databaseUrl(host: string, password: string): string {
  const { user, database, port } = postgresDatabase;
  return `postgres://${user}:${password}@${host}:${port}/${database}`;
}
