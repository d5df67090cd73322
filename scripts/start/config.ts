/**
 * The settings of `npm start` (the local host), on top of the runtime's own.
 * One reader collects the problems of both, so start-up lists them all at once.
 */
import { readRuntimeConfig, SettingsReader, type Env, type RuntimeConfig } from '../../shared/config.js';

export const localDefaults = {
  httpPort: 8080,
  grpcPort: 50051,
  host: '127.0.0.1',
  /** Seconds between the aggregation CloudEvents `npm start` sends, as the CronJob does. */
  aggregationIntervalSeconds: 300,
  /** Seconds between the webhook delivery runs `npm start` sends, as the CronJob does every minute. */
  webhookRetryIntervalSeconds: 15,
  stateDir: '.polaris',
} as const;

export interface LocalConfig {
  /** Every HTTP function. */
  httpPort: number;
  /** Every gRPC function, on one h2c port. */
  grpcPort: number;
  /** Interface both ports bind to. */
  host: string;
  /** 0 turns the aggregation timer off. */
  aggregationIntervalSeconds: number;
  /** 0 turns the webhook delivery run's timer off. */
  webhookRetryIntervalSeconds: number;
  /** Where the embedded PostgreSQL, NATS store and admin token are kept. */
  stateDir: string;
  /** Explicit NATS_URL, when the user gave one. */
  natsUrl?: string;
  runtime: RuntimeConfig;
}

export function loadLocalConfig(env: Env = process.env): LocalConfig {
  // PORT is a bundle's setting; the local host has one port per protocol instead. The dashboard's
  // forwarding is a bundle's too: here /graphql, /invoices/ and /auth/oidc are on the dashboard's own port.
  const read = new SettingsReader({ ...env, PORT: undefined, POLARIS_GATEWAY_URL: undefined, POLARIS_INVOICE_DOCUMENT_URL: undefined, POLARIS_OIDC_FUNCTION_URL: undefined });
  const httpPort = read.port('http', 'POLARIS_HTTP_PORT', localDefaults.httpPort);
  const config: LocalConfig = {
    httpPort,
    grpcPort: read.port('grpc', 'POLARIS_GRPC_PORT', localDefaults.grpcPort),
    host: read.string('POLARIS_HOST') ?? localDefaults.host,
    aggregationIntervalSeconds: read.integer('aggregation', 'POLARIS_AGGREGATION_INTERVAL', localDefaults.aggregationIntervalSeconds, {
      min: 0,
      max: 86_400,
    }),
    webhookRetryIntervalSeconds: read.integer('webhooks', 'POLARIS_WEBHOOK_RETRY_INTERVAL', localDefaults.webhookRetryIntervalSeconds, { min: 0, max: 3_600 }),
    stateDir: read.string('POLARIS_STATE_DIR') ?? localDefaults.stateDir,
    natsUrl: read.string('NATS_URL'),
    // The OpenID Connect callback is on this machine's HTTP port unless POLARIS_OIDC_REDIRECT_URL says otherwise.
    runtime: readRuntimeConfig(read, { httpPort }),
  };
  if (config.httpPort === config.grpcPort) read.problems.push('grpc: POLARIS_GRPC_PORT must differ from POLARIS_HTTP_PORT');
  read.done();
  return config;
}

