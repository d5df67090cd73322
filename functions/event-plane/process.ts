/**
 * The event delivery process where there is no Knative Broker (compose): always
 * on, it consumes the JetStream event stream and POSTs each event in binary
 * mode to every function the registry subscribes to its type, and relays the
 * services' outboxes to JetStream (with DATABASE_URL), as `npm start` does
 * in-process. The cluster runs ./relay-process.ts and a Broker instead.
 * `npm run build` bundles it into `dist/delivery/index.mjs`; from source it
 * runs as `tsx functions/event-plane/process.ts`.
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
import type { Registry } from 'prom-client';
import { readRuntimeConfig, SettingsReader, type Env, type RuntimeConfig } from '../../shared/config.js';
import { eventStreamConfig, natsConnection } from '../../shared/events/index.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { createRuntime, loadSettingsOrExit, opsRequestHandler, runProcess } from '../../shared/runtime/index.js';
import { deliveryDefaults } from './delivery.js';
import { startEventPlane, subscriptionsFromRegistry, type EventPlane } from './event-plane.js';
import { httpDeliverer, httpDelivererDefaults } from './http-deliverer.js';

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
  eventPlane: EventPlane;
  /**
   * Stops delivery (waiting up to `shutdownGraceMs` for deliveries in flight;
   * JetStream redelivers any left) and the relays, drains NATS and closes the ops server.
   */
  close(): Promise<void>;
}

/**
 * Starts the event plane: delivery to every registry function that
 * subscribes to events, the outbox relays when `databaseUrl` is set, and the
 * ops routes on `config.port`. Resolves once listening; NATS may still be
 * unreachable (readiness answers 503 until the consumers exist).
 */
export async function startDeliveryProcess(
  config: DeliveryConfig,
  overrides: { logger?: Logger; metrics?: Registry; host?: string } = {},
): Promise<RunningDelivery> {
  // A few connections are plenty: the relays claim a batch at a time.
  const runtime = createRuntime({ ...config, databasePoolSize: 3 }, overrides);
  const { logger, metrics } = runtime;
  // The outboxes go out from here too: this process is always on, unlike the functions that write them.
  if (!config.databaseUrl) logger.warn('no DATABASE_URL: the outboxes are not relayed by this process');
  const eventPlane = await startEventPlane({
    nats: () => natsConnection(runtime),
    stream: eventStreamConfig(config),
    logger,
    metrics,
    sql: config.databaseUrl ? runtime.database() : undefined,
    deliver: httpDeliverer({ addressTemplate: config.addressTemplate, timeoutMs: config.timeoutMs }),
    delivery: { maxDeliver: config.maxDeliver, concurrency: config.concurrency },
  });

  let closing = false;
  const server = createServer(
    opsRequestHandler({
      metrics,
      async readiness() {
        if (closing) throw new Error('shutting down');
        await eventPlane.ready();
      },
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, overrides.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const functions = subscriptionsFromRegistry().map((subscription) => subscription.name);
  logger.info({ port, stream: config.natsStream, functions, addressTemplate: config.addressTemplate }, 'delivery listening');

  return {
    port,
    eventPlane,
    async close() {
      closing = true;
      await eventPlane.stop(config.shutdownGraceMs);
      await runtime.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const config = loadSettingsOrExit('delivery', () => loadDeliveryConfig());
  const logger = createLogger({ service: config.service, revision: config.revision, level: config.logLevel });
  await runProcess({ name: 'delivery', logger, start: () => startDeliveryProcess(config, { logger }) });
}
