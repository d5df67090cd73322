/**
 * The event delivery process: always on (in Kubernetes a Deployment, or a
 * ContainerSource), it consumes the JetStream event stream and POSTs each
 * event in binary mode to every function the registry subscribes to its type,
 * and relays the services' outboxes to JetStream (with DATABASE_URL).
 * `npm run build` bundles it into `dist/delivery/index.mjs`; from source it
 * runs as `tsx scripts/delivery.ts`.
 *
 * Settings: the runtime's (NATS_URL, POLARIS_NATS_STREAM,
 * POLARIS_NATS_SUBJECT_PREFIX, PORT, LOG_LEVEL, POLARIS_SHUTDOWN_GRACE_MS)
 * and the POLARIS_DELIVERY_* ones of {@link DeliveryConfig}. It serves
 * `/health/liveness`, `/health/readiness` (ready once every consumer exists)
 * and `/metrics` on PORT, and exits 0 after a graceful shutdown on SIGTERM or SIGINT.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { outboxSchemas } from '../functions/migrations.js';
import { functionRegistry } from '../functions/registry.js';
import { connectDatabase, type Sql } from '../shared/database.js';
import { closeNats, connectNats, startOutboxRelays } from '../shared/events/index.js';
import { ConfigError, readRuntimeConfig, SettingsReader, type Env, type RuntimeConfig } from '../shared/config.js';
import { deliveryDefaults, EventDelivery, httpDeliverer, httpDelivererDefaults, subscriptionsFromRegistry } from '../shared/delivery/index.js';
import { eventStreamConfig } from '../shared/events/nats.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createMetricsRegistry } from '../shared/metrics.js';
import { opsRequestHandler } from '../shared/runtime/ops.js';

/** The runtime settings plus the delivery's own. */
export interface DeliveryConfig extends RuntimeConfig {
  /** POLARIS_DELIVERY_ADDRESS_TEMPLATE: where a function answers, `{name}` its registry name. Default `{name}.polaris.svc.cluster.local`. */
  addressTemplate: string;
  /** POLARIS_DELIVERY_MAX_DELIVER: attempts per event and function before the dead-letter stream. Default 8. */
  maxDeliver: number;
  /** POLARIS_DELIVERY_CONCURRENCY: events in flight per (function, type). Default 16. */
  concurrency: number;
  /** POLARIS_DELIVERY_TIMEOUT_MS: milliseconds a function has to answer. Default 30 000. */
  timeoutMs: number;
}

/**
 * Reads the delivery configuration from `env`.
 *
 * @throws ConfigError listing every problem, the runtime's and the delivery's together.
 */
export function loadDeliveryConfig(env: Env = process.env): DeliveryConfig {
  const read = new SettingsReader(env);
  const runtime = readRuntimeConfig(read);
  const addressTemplate = read.string('POLARIS_DELIVERY_ADDRESS_TEMPLATE') ?? httpDelivererDefaults.addressTemplate;
  if (!addressTemplate.includes('{name}')) read.problems.push("delivery: POLARIS_DELIVERY_ADDRESS_TEMPLATE must contain '{name}'");
  const config: DeliveryConfig = {
    ...runtime,
    // Outside Knative the process names itself, not the whole system.
    service: read.string('K_SERVICE') ?? 'delivery',
    addressTemplate,
    maxDeliver: read.integer('delivery', 'POLARIS_DELIVERY_MAX_DELIVER', deliveryDefaults.maxDeliver, { min: 1, max: 1000 }),
    concurrency: read.integer('delivery', 'POLARIS_DELIVERY_CONCURRENCY', deliveryDefaults.concurrency, { min: 1, max: 1000 }),
    timeoutMs: read.integer('delivery', 'POLARIS_DELIVERY_TIMEOUT_MS', httpDelivererDefaults.timeoutMs, { min: 100, max: 900_000 }),
  };
  read.done();
  return config;
}

/** A running delivery process: its ops port, and how to stop it. */
export interface RunningDelivery {
  /** The port the ops routes answer on. */
  port: number;
  delivery: EventDelivery;
  /**
   * Stops delivery (waiting up to `shutdownGraceMs` for deliveries in flight;
   * JetStream redelivers any left), drains NATS and closes the ops server.
   */
  close(): Promise<void>;
}

/**
 * Starts delivery for every registry function that subscribes to events, and
 * the ops routes on `config.port`. Resolves once listening; NATS may still be
 * unreachable (readiness answers 503 until the consumers exist).
 */
export async function startDelivery(config: DeliveryConfig, overrides: { logger?: Logger; metrics?: Registry; host?: string } = {}): Promise<RunningDelivery> {
  const logger = overrides.logger ?? createLogger({ service: config.service, revision: config.revision, level: config.logLevel });
  const metrics = overrides.metrics ?? createMetricsRegistry({ service: config.service, revision: config.revision });

  let connection: Promise<NatsConnection> | undefined;
  // Reconnects for ever once connected; a failed first connect (bad credentials) is retried on the next attach.
  const nats = () =>
    (connection ??= connectNats(config.natsUrl, config.service).catch((err: unknown) => {
      connection = undefined;
      throw err;
    }));

  const subscriptions = subscriptionsFromRegistry(functionRegistry);
  const delivery = new EventDelivery({
    nats,
    stream: eventStreamConfig(config),
    subscriptions,
    deliver: httpDeliverer({ addressTemplate: config.addressTemplate, timeoutMs: config.timeoutMs }),
    logger,
    metrics,
    maxDeliver: config.maxDeliver,
    concurrency: config.concurrency,
  });

  // The outboxes of the services go out from here too: this process is always
  // on, unlike the functions that write them.
  let relays: { stop(): Promise<void> } | undefined;
  let sql: Sql | undefined;
  if (config.databaseUrl) {
    sql = connectDatabase({ url: config.databaseUrl, poolSize: 3 });
    relays = await startOutboxRelays({ sql, schemas: outboxSchemas, nats, stream: eventStreamConfig(config), logger, metrics });
  } else {
    logger.warn('no DATABASE_URL: the outboxes are not relayed by this process');
  }

  let closing = false;
  const server = createServer(
    opsRequestHandler({
      metrics,
      async readiness() {
        if (closing) throw new Error('shutting down');
        await delivery.ready();
      },
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, overrides.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  delivery.start();
  logger.info({ port, stream: config.natsStream, functions: subscriptions.map((s) => s.name), addressTemplate: config.addressTemplate }, 'delivery listening');

  return {
    port,
    delivery,
    async close() {
      closing = true;
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        delivery.stop().then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), config.shutdownGraceMs))),
      ]);
      clearTimeout(timer);
      if (!finished) logger.warn({ graceMs: config.shutdownGraceMs }, 'deliveries still in flight at shutdown; JetStream redelivers them');
      await relays?.stop();
      await sql?.end({ timeout: 5 });
      if (connection) await closeNats(connection);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  let config: DeliveryConfig;
  try {
    config = loadDeliveryConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`delivery: ${err.message}`);
    process.exit(1);
  }
  const logger = createLogger({ service: config.service, revision: config.revision, level: config.logLevel });
  try {
    const running = await startDelivery(config, { logger });
    let draining = false;
    const stop = (signal: string) => {
      if (draining) return;
      draining = true;
      logger.info({ signal }, 'shutting down');
      running.close().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  } catch (err) {
    logger.fatal({ err }, 'delivery failed to start');
    process.exit(1);
  }
}
