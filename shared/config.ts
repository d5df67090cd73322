/**
 * Configuration, read once from the environment (in Kubernetes: the
 * `polaris-config` ConfigMap and `polaris-secrets` Secret, mounted as env).
 * Every setting has a named default and one conversion; start-up fails with a
 * single ConfigError that lists every problem, each prefixed by its subsystem.
 */
import { defaultOrganizationLimits, maxLimitPerSecond, type OrganizationLimits } from './rate-limits/policies.js';

/** Start-up configuration is invalid. `problems` lists every one found. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export const defaults = {
  port: 8080,
  natsUrl: 'nats://127.0.0.1:4222',
  /** JetStream stream that carries every Polaris CloudEvent. */
  natsStream: 'POLARIS_EVENTS',
  /** Subjects are `<prefix>.<CloudEvent type>`. */
  natsSubjectPrefix: 'polaris.events',
  /** Days an event's timestamp may lie in the past (35: a month and its grace days). */
  maxEventAgeDays: 35,
  /**
   * Whole months of raw usage events kept before the current one; older
   * months are dropped (their aggregates stay). 0 keeps every event.
   */
  usageRetentionMonths: 0,
  /** Properties an event may carry. */
  maxEventProperties: 32,
  /** Characters of a property's string value (digits of a number's). */
  maxPropertyLength: 256,
  /** Distinct groups one organization's metric may have on a UTC day. */
  maxGroupsPerDay: 10_000,
  /** Seconds a process trusts its copy of the meters; another process's meter change shows after this. */
  meterCacheSeconds: 5,
  /** Hours after a billing period ends before its draft is finalized, for late usage to arrive. */
  invoiceGraceHours: 72,
  logLevel: 'info',
  /** Where gRPC clients find a function in the cluster; `{name}` is its registry name. */
  functionAddressTemplate: '{name}.polaris.svc.cluster.local:80',
  /** Seconds a validated API key is trusted before asking Identity again. */
  apiKeyCacheSeconds: 60,
  /** Seconds an unknown API key is remembered as unknown. */
  apiKeyNegativeCacheSeconds: 5,
  /** The JWT claim that names the caller's organization. */
  jwtOrganizationClaim: 'sub',
  databasePoolSize: 10,
  /** Seconds a signed-in session's access token lasts; its refresh token renews it. */
  accessTokenSeconds: 900,
  /** Days a refresh token lasts unused. */
  refreshTokenDays: 30,
  /**
   * Each organization's limits, per second across every pod: ingest requests
   * (POLARIS_RATE_LIMIT_PER_SECOND, whose 0 turns every limit off), ingest
   * events and GraphQL cost. Each allows bursts of twice its rate.
   */
  rateLimits: defaultOrganizationLimits,
  /**
   * The most one GraphQL request may cost: the RPCs its fields may make
   * (functions/gateway/cost.ts). The dashboard's heaviest request, an
   * organization's view at the most metrics the 250-field limit lets it
   * name (27), costs 80.
   */
  graphqlMaxCost: 250,
  /** Milliseconds SIGTERM waits for in-flight work before closing anyway. */
  shutdownGraceMs: 10_000,
  /** Who issues the invoices, as their documents name the seller. */
  sellerName: 'Polaris',
  /** What sign-in through an OpenID Connect provider asks it for. */
  oidcScopes: 'openid email profile',
  /** Milliseconds a webhook receiver has to answer (connect, send, first bytes of the answer). */
  webhookTimeoutMs: 10_000,
  /** Hours a webhook endpoint may fail without one success before it is disabled. */
  webhookDisableAfterHours: 120,
} as const;

/** The path of the OpenID Connect callback, where the provider sends the browser back. */
export const oidcCallbackPath = '/auth/oidc/callback';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Settings every function reads. Optional ones are undefined when unset. */
export interface RuntimeConfig {
  /** HTTP or h2c port the function listens on (Knative sets PORT). Default 8080. */
  port: number;
  /** Knative service and revision names, used as metric and log labels. */
  service: string;
  revision: string;
  logLevel: LogLevel;
  /** PostgreSQL connection string; required by functions that own data. */
  databaseUrl?: string;
  /** Connections per process. Default 10. */
  databasePoolSize: number;
  /** NATS server with JetStream. Default nats://127.0.0.1:4222. */
  natsUrl: string;
  /** JetStream stream for Polaris events. Default POLARIS_EVENTS. */
  natsStream: string;
  /** Subject prefix: events go to `<prefix>.<type>`. Default polaris.events. */
  natsSubjectPrefix: string;
  /** Oldest accepted usage timestamp, in days before now. Default 35. */
  maxEventAgeDays: number;
  /** Whole months of raw events kept before the current one; 0 keeps all. Default 0. */
  usageRetentionMonths: number;
  maxEventProperties: number;
  maxPropertyLength: number;
  maxGroupsPerDay: number;
  meterCacheSeconds: number;
  invoiceGraceHours: number;
  /**
   * Every gRPC call goes to this one `host:port` (the local host serves all
   * functions on one port). When unset, each RPC goes to its own function at
   * `functionAddressTemplate`.
   */
  grpcAddress?: string;
  functionAddressTemplate: string;
  /** The operator's bearer token. */
  adminToken?: string;
  /** HS256 secret for organization JWTs; JWT login is off when neither it nor `jwtJwksUrl` is set. */
  jwtSecret?: string;
  /** An identity provider's keys (JWKS): RS256 and ES256 JWTs it signed are accepted. */
  jwtJwksUrl?: string;
  /** The `iss` a JWKS-signed JWT must carry, when set. */
  jwtIssuer?: string;
  /** The `aud` a JWKS-signed JWT must carry, when set. */
  jwtAudience?: string;
  /** The JWT claim that holds the organization id. Default `sub`. */
  jwtOrganizationClaim: string;
  /** HS256 secret for signed-in sessions' access tokens; sign-in is off when unset. */
  sessionSecret?: string;
  accessTokenSeconds: number;
  refreshTokenDays: number;
  apiKeyCacheSeconds: number;
  apiKeyNegativeCacheSeconds: number;
  /**
   * Each organization's default limits (the operator may set an
   * organization's own); undefined when POLARIS_RATE_LIMIT_PER_SECOND is 0,
   * which turns every limit off.
   */
  rateLimits?: OrganizationLimits;
  /** The most one GraphQL request may cost, in RPCs its fields may make. Default 250. */
  graphqlMaxCost: number;
  shutdownGraceMs: number;
  /** The seller on invoice documents. Default Polaris. */
  sellerName: string;
  /** The seller's address on invoice documents, one entry per line; empty when unset. */
  sellerAddress: readonly string[];
  /** Sign-in through an OpenID Connect provider; undefined (off) when POLARIS_OIDC_ISSUER is unset. */
  oidc?: OidcSettings;
  /** Stripe's secret API key (`sk_…`, or a restricted `rk_…`); Stripe payments are off when unset. */
  stripeSecretKey?: string;
  /** The signing secret of Stripe's webhook endpoint (`whsec_…`); `POST /stripe/webhook` answers 404 when unset. */
  stripeWebhookSecret?: string;
  /** For tests: where the Stripe client sends its requests instead of https://api.stripe.com (a local fake). */
  stripeApiUrl?: string;
  /**
   * Encrypts webhook signing secrets at rest (AES-256-GCM, key derived from
   * it); at least 32 characters. Unset: endpoints cannot be made or rotated,
   * and nothing is delivered.
   */
  webhookSecretKey?: string;
  /** Deliver webhooks to private, loopback and link-local addresses too (local receivers, tests). Default false. */
  webhookAllowPrivate: boolean;
  /** Milliseconds a webhook receiver has to answer. Default 10 000. */
  webhookTimeoutMs: number;
  /** Hours an endpoint may fail without a success before it is disabled. Default 120. */
  webhookDisableAfterHours: number;
  /**
   * Where the dashboard forwards the routes its page calls on its own origin,
   * when it is not hosted beside them (in the cluster each function is a
   * Service of its own): the gateway's `/graphql`, the invoice document's
   * `/invoices/`, the `oidc` function's `/auth/oidc`. Unset: not forwarded
   * (`npm start` serves them all on one port).
   */
  dashboardUpstreams: DashboardUpstreams;
}

/** The base URLs the dashboard forwards to, each unset when that route is not forwarded. */
export interface DashboardUpstreams {
  /** POLARIS_GATEWAY_URL: `POST /graphql`. */
  gateway?: string;
  /** POLARIS_INVOICE_DOCUMENT_URL: `GET /invoices/<id>.pdf`. */
  invoiceDocument?: string;
  /** POLARIS_OIDC_FUNCTION_URL: `GET /auth/oidc`, `/auth/oidc/start`, `/auth/oidc/callback`. */
  oidc?: string;
}

/** A confidential (or, without a secret, public) OpenID Connect client of one provider. */
export interface OidcSettings {
  /** The provider's issuer URL; its discovery document is `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** Sent with client_secret_basic; without one the client is public and PKCE alone binds the code. */
  clientSecret?: string;
  /** The public URL of `/auth/oidc/callback`, registered with the provider. */
  redirectUrl: string;
  /** What the dashboard's button calls the provider ("Sign in with …"); default the issuer's host. */
  providerName?: string;
  /** Scopes asked for; always includes `openid`. Default `openid email profile`. */
  scopes: readonly string[];
  /**
   * Whether the provider may be reached over plain http. True for an issuer on
   * 127.0.0.1 or localhost (a provider on this machine), otherwise only when
   * POLARIS_OIDC_ALLOW_HTTP=true says so.
   */
  allowHttp: boolean;
}

export type Env = Record<string, string | undefined>;

/**
 * Reads settings from `env`, recording problems instead of throwing so that
 * one start-up reports all of them. Call `done()` to get the problems.
 */
export class SettingsReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  integer(subsystem: string, name: string, fallback: number, range: { min: number; max: number }): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < range.min || value > range.max) {
      this.problems.push(`${subsystem}: ${name} must be a whole number from ${range.min} to ${range.max}, got '${raw}'`);
      return fallback;
    }
    return value;
  }

  port(subsystem: string, name: string, fallback: number): number {
    return this.integer(subsystem, name, fallback, { min: 1, max: 65535 });
  }

  oneOf<T extends string>(subsystem: string, name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${subsystem}: ${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
      return fallback;
    }
    return raw as T;
  }

  url(subsystem: string, name: string, protocols: readonly string[]): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    let protocol: string | undefined;
    try {
      protocol = new URL(raw).protocol;
    } catch {
      // reported below
    }
    if (protocol === undefined || !protocols.includes(protocol)) {
      // Never echo the value: connection strings carry passwords.
      this.problems.push(`${subsystem}: ${name} must be a ${protocols.join(' or ')}// URL`);
      return undefined;
    }
    return raw;
  }

  /** `true`/`false` (also `1`/`0`, `yes`/`no`, any case). */
  boolean(subsystem: string, name: string, fallback: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = raw.toLowerCase();
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    this.problems.push(`${subsystem}: ${name} must be true or false, got '${raw}'`);
    return fallback;
  }

  secret(subsystem: string, name: string, minLength: number): string | undefined {
    const value = this.string(name);
    if (value !== undefined && value.length < minLength) {
      this.problems.push(`${subsystem}: ${name} must be at least ${minLength} characters`);
      return undefined;
    }
    return value;
  }

  /** Throws a ConfigError listing every problem recorded so far. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/**
 * An address's lines, split at newlines or at the two characters `\\n`
 * (what an environment variable set in a shell or a YAML plain scalar holds).
 */
function addressLines(value: string | undefined): string[] {
  return (value ?? '')
    .split(/\r?\n|\\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** Reads the runtime configuration; throws a ConfigError listing every problem. */
export function loadRuntimeConfig(env: Env = process.env): RuntimeConfig {
  const read = new SettingsReader(env);
  const config = readRuntimeConfig(read);
  read.done();
  return config;
}

/** What the local host (`npm start`) knows that a bundle does not. */
export interface LocalHostFacts {
  /** POLARIS_HTTP_PORT: where the local OpenID Connect callback is by default. */
  httpPort: number;
}

/**
 * Reads the runtime settings into `read`, which collects the problems (for
 * callers with settings of their own). `local`: given by the local host, which
 * derives defaults from its own ports.
 */
export function readRuntimeConfig(read: SettingsReader, local?: LocalHostFacts): RuntimeConfig {
  const config: RuntimeConfig = {
    port: read.integer('http', 'PORT', defaults.port, { min: 0, max: 65535 }), // 0: the OS picks a free port (tests)
    service: read.string('K_SERVICE') ?? 'polaris',
    revision: read.string('K_REVISION') ?? 'local',
    logLevel: read.oneOf('log', 'LOG_LEVEL', logLevels, defaults.logLevel),
    databaseUrl: read.url('database', 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: read.integer('database', 'POLARIS_DATABASE_POOL_SIZE', defaults.databasePoolSize, { min: 1, max: 1000 }),
    natsUrl: read.url('nats', 'NATS_URL', ['nats:', 'tls:', 'ws:', 'wss:']) ?? defaults.natsUrl,
    natsStream: read.string('POLARIS_NATS_STREAM') ?? defaults.natsStream,
    natsSubjectPrefix: read.string('POLARIS_NATS_SUBJECT_PREFIX') ?? defaults.natsSubjectPrefix,
    maxEventAgeDays: read.integer('usage', 'POLARIS_MAX_EVENT_AGE_DAYS', defaults.maxEventAgeDays, { min: 1, max: 3660 }),
    usageRetentionMonths: read.integer('usage', 'POLARIS_USAGE_RETENTION_MONTHS', defaults.usageRetentionMonths, { min: 0, max: 1200 }),
    maxEventProperties: read.integer('usage', 'POLARIS_MAX_EVENT_PROPERTIES', defaults.maxEventProperties, { min: 0, max: 1000 }),
    maxPropertyLength: read.integer('usage', 'POLARIS_MAX_PROPERTY_LENGTH', defaults.maxPropertyLength, { min: 1, max: 4096 }),
    maxGroupsPerDay: read.integer('usage', 'POLARIS_MAX_GROUPS_PER_DAY', defaults.maxGroupsPerDay, { min: 1, max: 10_000_000 }),
    meterCacheSeconds: read.integer('usage', 'POLARIS_METER_CACHE_SECONDS', defaults.meterCacheSeconds, { min: 0, max: 300 }),
    invoiceGraceHours: read.integer('billing', 'POLARIS_INVOICE_GRACE_HOURS', defaults.invoiceGraceHours, { min: 0, max: 24 * 366 }),
    grpcAddress: read.string('POLARIS_GRPC_ADDRESS'),
    functionAddressTemplate: read.string('POLARIS_FUNCTION_ADDRESS_TEMPLATE') ?? defaults.functionAddressTemplate,
    adminToken: read.secret('auth', 'POLARIS_ADMIN_TOKEN', 16),
    jwtSecret: read.secret('auth', 'POLARIS_JWT_SECRET', 32),
    jwtJwksUrl: read.url('auth', 'POLARIS_JWT_JWKS_URL', ['https:', 'http:']),
    jwtIssuer: read.string('POLARIS_JWT_ISSUER'),
    jwtAudience: read.string('POLARIS_JWT_AUDIENCE'),
    jwtOrganizationClaim: read.string('POLARIS_JWT_ORGANIZATION_CLAIM') ?? defaults.jwtOrganizationClaim,
    sessionSecret: read.secret('auth', 'POLARIS_SESSION_SECRET', 32),
    accessTokenSeconds: read.integer('auth', 'POLARIS_ACCESS_TOKEN_SECONDS', defaults.accessTokenSeconds, { min: 60, max: 86_400 }),
    refreshTokenDays: read.integer('auth', 'POLARIS_REFRESH_TOKEN_DAYS', defaults.refreshTokenDays, { min: 1, max: 365 }),
    apiKeyCacheSeconds: read.integer('auth', 'POLARIS_API_KEY_CACHE_SECONDS', defaults.apiKeyCacheSeconds, { min: 0, max: 60 }),
    apiKeyNegativeCacheSeconds: read.integer('auth', 'POLARIS_API_KEY_NEGATIVE_CACHE_SECONDS', defaults.apiKeyNegativeCacheSeconds, { min: 0, max: 60 }),
    rateLimits: readRateLimits(read),
    graphqlMaxCost: read.integer('graphql', 'POLARIS_GRAPHQL_MAX_COST', defaults.graphqlMaxCost, { min: 1, max: 1_000_000 }),
    shutdownGraceMs: read.integer('runtime', 'POLARIS_SHUTDOWN_GRACE_MS', defaults.shutdownGraceMs, { min: 0, max: 600_000 }),
    sellerName: read.string('POLARIS_SELLER_NAME') ?? defaults.sellerName,
    sellerAddress: addressLines(read.string('POLARIS_SELLER_ADDRESS')),
    oidc: readOidcSettings(read, local),
    stripeSecretKey: read.secret('stripe', 'STRIPE_SECRET_KEY', 8),
    stripeWebhookSecret: read.secret('stripe', 'STRIPE_WEBHOOK_SECRET', 8),
    stripeApiUrl: read.url('stripe', 'POLARIS_STRIPE_API_URL', ['http:', 'https:']),
    webhookSecretKey: read.secret('webhooks', 'POLARIS_WEBHOOK_SECRET_KEY', 32),
    webhookAllowPrivate: read.boolean('webhooks', 'POLARIS_WEBHOOK_ALLOW_PRIVATE', false),
    webhookTimeoutMs: read.integer('webhooks', 'POLARIS_WEBHOOK_TIMEOUT_MS', defaults.webhookTimeoutMs, { min: 100, max: 60_000 }),
    webhookDisableAfterHours: read.integer('webhooks', 'POLARIS_WEBHOOK_DISABLE_AFTER_HOURS', defaults.webhookDisableAfterHours, { min: 1, max: 24 * 366 }),
    dashboardUpstreams: {
      gateway: read.url('dashboard', 'POLARIS_GATEWAY_URL', ['http:', 'https:']),
      invoiceDocument: read.url('dashboard', 'POLARIS_INVOICE_DOCUMENT_URL', ['http:', 'https:']),
      oidc: read.url('dashboard', 'POLARIS_OIDC_FUNCTION_URL', ['http:', 'https:']),
    },
  };
  // Never echo a key: a mistyped one is still a secret.
  if (config.stripeSecretKey && !/^(sk|rk)_/.test(config.stripeSecretKey)) read.problems.push('stripe: STRIPE_SECRET_KEY must be a secret key (sk_…) or a restricted key (rk_…)');
  if (config.stripeWebhookSecret && !config.stripeWebhookSecret.startsWith('whsec_')) read.problems.push('stripe: STRIPE_WEBHOOK_SECRET must be the endpoint\'s signing secret (whsec_…)');
  if (!/^[A-Za-z0-9_-]+$/.test(config.natsStream)) read.problems.push('nats: POLARIS_NATS_STREAM must be letters, digits, _ or -');
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(config.natsSubjectPrefix)) {
    read.problems.push('nats: POLARIS_NATS_SUBJECT_PREFIX must be dot-separated tokens of letters, digits, _ or -');
  }
  // A dropped month's idempotency keys are forgotten with it, so a replay must
  // be too old to accept by then: a month is dropped no sooner than
  // retention × 28 days after its last event.
  const fewestMonths = Math.ceil((config.maxEventAgeDays + 1) / 28);
  if (config.usageRetentionMonths > 0 && config.usageRetentionMonths < fewestMonths) {
    read.problems.push(
      `usage: POLARIS_USAGE_RETENTION_MONTHS must be 0 or at least ${fewestMonths} while POLARIS_MAX_EVENT_AGE_DAYS is ${config.maxEventAgeDays}, so that a month's events are too old to replay before it is dropped`,
    );
  }
  if (!config.functionAddressTemplate.includes('{name}')) {
    read.problems.push("grpc: POLARIS_FUNCTION_ADDRESS_TEMPLATE must contain '{name}'");
  }
  return config;
}

/** Hosts whose plain-http issuers are this machine's, allowed without POLARIS_OIDC_ALLOW_HTTP. */
const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Each organization's default limits, or undefined when
 * POLARIS_RATE_LIMIT_PER_SECOND is 0: benchmarks measure the system, not
 * the limits.
 */
function readRateLimits(read: SettingsReader): OrganizationLimits | undefined {
  const defaults = defaultOrganizationLimits;
  const range = { min: 0, max: maxLimitPerSecond };
  const ingestRequestsPerSecond = read.integer('limits', 'POLARIS_RATE_LIMIT_PER_SECOND', defaults.ingestRequestsPerSecond, range);
  const ingestEventsPerSecond = read.integer('limits', 'POLARIS_RATE_LIMIT_INGEST_EVENTS_PER_SECOND', defaults.ingestEventsPerSecond, { ...range, min: 1 });
  const graphqlCostPerSecond = read.integer('limits', 'POLARIS_RATE_LIMIT_GRAPHQL_COST_PER_SECOND', defaults.graphqlCostPerSecond, { ...range, min: 1 });
  if (ingestRequestsPerSecond === 0) return undefined;
  return { ingestRequestsPerSecond, ingestEventsPerSecond, graphqlCostPerSecond };
}

/**
 * The OpenID Connect settings: off without an issuer. Each setting that only
 * means something with an issuer is a problem without one, so a half-made
 * configuration never looks like a working one.
 */
function readOidcSettings(read: SettingsReader, local: LocalHostFacts | undefined): OidcSettings | undefined {
  const issuer = read.url('oidc', 'POLARIS_OIDC_ISSUER', ['https:', 'http:']);
  const issuerSet = read.string('POLARIS_OIDC_ISSUER') !== undefined;
  const clientId = read.string('POLARIS_OIDC_CLIENT_ID');
  // The client secret sits in the Secret beside the others, set or not, so only its use needs the issuer.
  const clientSecret = read.string('POLARIS_OIDC_CLIENT_SECRET');
  const redirectUrl = read.url('oidc', 'POLARIS_OIDC_REDIRECT_URL', ['https:', 'http:']);
  const scopes = (read.string('POLARIS_OIDC_SCOPES') ?? defaults.oidcScopes).split(/[\s,]+/).filter(Boolean);
  const allowHttpSetting = read.oneOf('oidc', 'POLARIS_OIDC_ALLOW_HTTP', ['true', 'false'], 'false');
  if (!issuerSet) {
    for (const name of ['POLARIS_OIDC_CLIENT_ID', 'POLARIS_OIDC_REDIRECT_URL', 'POLARIS_OIDC_PROVIDER_NAME']) {
      if (read.string(name) !== undefined) read.problems.push(`oidc: ${name} is set but POLARIS_OIDC_ISSUER is not; set the issuer to turn OpenID Connect sign-in on`);
    }
    return undefined;
  }
  if (!clientId) read.problems.push('oidc: POLARIS_OIDC_CLIENT_ID is required with POLARIS_OIDC_ISSUER');
  if (!scopes.includes('openid')) read.problems.push("oidc: POLARIS_OIDC_SCOPES must include 'openid'");
  const redirect = redirectUrl ?? (local ? `http://127.0.0.1:${local.httpPort}${oidcCallbackPath}` : undefined);
  if (read.string('POLARIS_OIDC_REDIRECT_URL') === undefined && !redirect) {
    read.problems.push(`oidc: POLARIS_OIDC_REDIRECT_URL is required with POLARIS_OIDC_ISSUER: the public URL of ${oidcCallbackPath}, registered with the provider`);
  } else if (redirectUrl && new URL(redirectUrl).pathname !== oidcCallbackPath) {
    read.problems.push(`oidc: POLARIS_OIDC_REDIRECT_URL must end in ${oidcCallbackPath}, where Polaris answers the provider`);
  }
  const issuerUrl = issuer ? new URL(issuer) : undefined;
  const allowHttp = allowHttpSetting === 'true' || (issuerUrl?.protocol === 'http:' && loopbackHosts.has(issuerUrl.hostname));
  if (issuerUrl?.protocol === 'http:' && !allowHttp) {
    read.problems.push('oidc: POLARIS_OIDC_ISSUER must be https:// (or set POLARIS_OIDC_ALLOW_HTTP=true for a provider reached over plain http)');
  }
  if (!issuer || !clientId || !redirect) return undefined;
  return { issuer, clientId, clientSecret, redirectUrl: redirect, providerName: read.string('POLARIS_OIDC_PROVIDER_NAME'), scopes, allowHttp };
}
