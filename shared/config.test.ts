import { describe, expect, it } from 'vitest';
import { ConfigError, defaults, loadRuntimeConfig, readRuntimeConfig, SettingsReader } from './config.js';

describe('loadRuntimeConfig', () => {
  it('gives every setting its named default', () => {
    const config = loadRuntimeConfig({});
    expect(config).toMatchObject({
      port: defaults.port,
      natsUrl: defaults.natsUrl,
      service: 'polaris',
      revision: 'local',
      apiKeyCacheSeconds: 60,
      functionAddressTemplate: defaults.functionAddressTemplate,
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
    expect(config.jwtJwksUrl).toBeUndefined();
    expect(config.jwtOrganizationClaim).toBe('sub');
  });

  it('reads the seller of invoice documents, its address one line per newline or \\n', () => {
    expect(loadRuntimeConfig({})).toMatchObject({ sellerName: 'Polaris', sellerAddress: [] });
    expect(loadRuntimeConfig({ POLARIS_SELLER_NAME: 'Acme Metering GmbH', POLARIS_SELLER_ADDRESS: 'Bahnhofstraße 1\\n8001 Zürich \nSwitzerland' })).toMatchObject({
      sellerName: 'Acme Metering GmbH',
      sellerAddress: ['Bahnhofstraße 1', '8001 Zürich', 'Switzerland'],
    });
  });

  it('keeps Stripe off unless its keys are set, and refuses keys of the wrong kind without echoing them', () => {
    expect(loadRuntimeConfig({ STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: ' ' })).toMatchObject({ stripeSecretKey: undefined, stripeWebhookSecret: undefined, stripeApiUrl: undefined });
    expect(loadRuntimeConfig({ STRIPE_SECRET_KEY: 'sk_test_0123456789', STRIPE_WEBHOOK_SECRET: 'whsec_0123456789', POLARIS_STRIPE_API_URL: 'http://127.0.0.1:12111' })).toMatchObject({
      stripeSecretKey: 'sk_test_0123456789',
      stripeWebhookSecret: 'whsec_0123456789',
      stripeApiUrl: 'http://127.0.0.1:12111',
    });
    let error: unknown;
    try {
      loadRuntimeConfig({ STRIPE_SECRET_KEY: 'pk_live_publishable', STRIPE_WEBHOOK_SECRET: 'secret_of_mine', POLARIS_STRIPE_API_URL: 'ftp://stripe' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'stripe: POLARIS_STRIPE_API_URL must be a http: or https:// URL',
      'stripe: STRIPE_SECRET_KEY must be a secret key (sk_…) or a restricted key (rk_…)',
      "stripe: STRIPE_WEBHOOK_SECRET must be the endpoint's signing secret (whsec_…)",
    ]);
    expect((error as Error).message).not.toMatch(/pk_live_publishable|secret_of_mine/);
  });

  it('keeps every usage event unless a retention is set, and refuses one short enough to forget keys still replayable', () => {
    expect(loadRuntimeConfig({}).usageRetentionMonths).toBe(0);
    expect(loadRuntimeConfig({ POLARIS_USAGE_RETENTION_MONTHS: '2' }).usageRetentionMonths).toBe(2);
    expect(() => loadRuntimeConfig({ POLARIS_USAGE_RETENTION_MONTHS: '1' })).toThrow(
      'usage: POLARIS_USAGE_RETENTION_MONTHS must be 0 or at least 2 while POLARIS_MAX_EVENT_AGE_DAYS is 35',
    );
    expect(loadRuntimeConfig({ POLARIS_USAGE_RETENTION_MONTHS: '1', POLARIS_MAX_EVENT_AGE_DAYS: '27' }).usageRetentionMonths).toBe(1);
    expect(() => loadRuntimeConfig({ POLARIS_USAGE_RETENTION_MONTHS: '3', POLARIS_MAX_EVENT_AGE_DAYS: '90' })).toThrow('at least 4');
    expect(() => loadRuntimeConfig({ POLARIS_USAGE_RETENTION_MONTHS: '-1' })).toThrow('POLARIS_USAGE_RETENTION_MONTHS must be a whole number from 0 to 1200');
  });

  it("reads Knative's PORT, K_SERVICE and K_REVISION", () => {
    expect(loadRuntimeConfig({ PORT: '9090', K_SERVICE: 'ingest', K_REVISION: 'ingest-00007' })).toMatchObject({
      port: 9090,
      service: 'ingest',
      revision: 'ingest-00007',
    });
  });

  it('lists every problem in one error, by subsystem, without echoing secrets', () => {
    let error: unknown;
    try {
      loadRuntimeConfig({
        PORT: '70000',
        DATABASE_URL: 'mysql://root:s3cret-password@db/x',
        NATS_URL: 'not a url',
        LOG_LEVEL: 'chatty',
        POLARIS_JWT_SECRET: 'short',
        POLARIS_JWT_JWKS_URL: 'file:///etc/keys.json',
        POLARIS_API_KEY_CACHE_SECONDS: '3600',
        POLARIS_FUNCTION_ADDRESS_TEMPLATE: 'identity:80',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      "http: PORT must be a whole number from 0 to 65535, got '70000'",
      "log: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got 'chatty'",
      'database: DATABASE_URL must be a postgres: or postgresql:// URL',
      'nats: NATS_URL must be a nats: or tls: or ws: or wss:// URL',
      'auth: POLARIS_JWT_SECRET must be at least 32 characters',
      'auth: POLARIS_JWT_JWKS_URL must be a https: or http:// URL',
      "auth: POLARIS_API_KEY_CACHE_SECONDS must be a whole number from 0 to 60, got '3600'",
      "grpc: POLARIS_FUNCTION_ADDRESS_TEMPLATE must contain '{name}'",
    ]);
    expect((error as Error).message).not.toContain('s3cret-password');
    expect((error as Error).message).not.toContain('short');
  });

  describe('OpenID Connect sign-in', () => {
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadRuntimeConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    const provider = {
      POLARIS_OIDC_ISSUER: 'https://accounts.example.com',
      POLARIS_OIDC_CLIENT_ID: 'polaris',
      POLARIS_OIDC_CLIENT_SECRET: 'client-secret-value',
      POLARIS_OIDC_REDIRECT_URL: 'https://polaris.example.com/auth/oidc/callback',
    };

    it('is off without an issuer, whatever the empty settings of the ConfigMap say', () => {
      expect(loadRuntimeConfig({}).oidc).toBeUndefined();
      expect(loadRuntimeConfig({ POLARIS_OIDC_ISSUER: '', POLARIS_OIDC_CLIENT_ID: '', POLARIS_OIDC_CLIENT_SECRET: 'kept in the Secret' }).oidc).toBeUndefined();
    });

    it('reads a provider, with the default scopes and https only', () => {
      expect(loadRuntimeConfig(provider).oidc).toEqual({
        issuer: 'https://accounts.example.com',
        clientId: 'polaris',
        clientSecret: 'client-secret-value',
        redirectUrl: 'https://polaris.example.com/auth/oidc/callback',
        providerName: undefined,
        scopes: ['openid', 'email', 'profile'],
        allowHttp: false,
      });
      expect(loadRuntimeConfig({ ...provider, POLARIS_OIDC_SCOPES: 'openid email', POLARIS_OIDC_PROVIDER_NAME: 'Acme SSO' }).oidc).toMatchObject({
        scopes: ['openid', 'email'],
        providerName: 'Acme SSO',
      });
    });

    it('allows a plain-http issuer on this machine, elsewhere only when POLARIS_OIDC_ALLOW_HTTP=true', () => {
      expect(loadRuntimeConfig({ ...provider, POLARIS_OIDC_ISSUER: 'http://127.0.0.1:4000' }).oidc?.allowHttp).toBe(true);
      expect(loadRuntimeConfig({ ...provider, POLARIS_OIDC_ISSUER: 'http://localhost:4000/tenant' }).oidc?.allowHttp).toBe(true);
      expect(problemsOf({ ...provider, POLARIS_OIDC_ISSUER: 'http://keycloak.internal/realms/x' })).toEqual([
        'oidc: POLARIS_OIDC_ISSUER must be https:// (or set POLARIS_OIDC_ALLOW_HTTP=true for a provider reached over plain http)',
      ]);
      expect(loadRuntimeConfig({ ...provider, POLARIS_OIDC_ISSUER: 'http://keycloak.internal/realms/x', POLARIS_OIDC_ALLOW_HTTP: 'true' }).oidc?.allowHttp).toBe(true);
    });

    it('defaults the callback to the local HTTP port under npm start, and requires it in a bundle', () => {
      const { POLARIS_OIDC_REDIRECT_URL: _, ...withoutRedirect } = provider;
      const read = new SettingsReader(withoutRedirect);
      expect(readRuntimeConfig(read, { httpPort: 8181 }).oidc?.redirectUrl).toBe('http://127.0.0.1:8181/auth/oidc/callback');
      expect(read.problems).toEqual([]);
      expect(problemsOf(withoutRedirect)).toEqual([
        'oidc: POLARIS_OIDC_REDIRECT_URL is required with POLARIS_OIDC_ISSUER: the public URL of /auth/oidc/callback, registered with the provider',
      ]);
    });

    it('lists every problem of a half-made configuration', () => {
      expect(problemsOf({ POLARIS_OIDC_CLIENT_ID: 'polaris', POLARIS_OIDC_REDIRECT_URL: 'https://polaris.example.com/auth/oidc/callback' })).toEqual([
        'oidc: POLARIS_OIDC_CLIENT_ID is set but POLARIS_OIDC_ISSUER is not; set the issuer to turn OpenID Connect sign-in on',
        'oidc: POLARIS_OIDC_REDIRECT_URL is set but POLARIS_OIDC_ISSUER is not; set the issuer to turn OpenID Connect sign-in on',
      ]);
      expect(
        problemsOf({
          POLARIS_OIDC_ISSUER: 'accounts.example.com',
          POLARIS_OIDC_REDIRECT_URL: 'https://polaris.example.com/callback',
          POLARIS_OIDC_SCOPES: 'email profile',
          POLARIS_OIDC_ALLOW_HTTP: 'yes',
        }),
      ).toEqual([
        'oidc: POLARIS_OIDC_ISSUER must be a https: or http:// URL',
        "oidc: POLARIS_OIDC_ALLOW_HTTP must be one of true, false, got 'yes'",
        'oidc: POLARIS_OIDC_CLIENT_ID is required with POLARIS_OIDC_ISSUER',
        "oidc: POLARIS_OIDC_SCOPES must include 'openid'",
        'oidc: POLARIS_OIDC_REDIRECT_URL must end in /auth/oidc/callback, where Polaris answers the provider',
      ]);
    });
  });
});
