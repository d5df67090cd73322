/**
 * `npm start`: every function of Polaris on this machine, wired as in the
 * cluster. HTTP functions on POLARIS_HTTP_PORT, every RPC on POLARIS_GRPC_PORT
 * (from a worker thread, scripts/start/grpc-thread.ts), PostgreSQL and NATS
 * from the environment or started here, and the aggregation and webhook
 * delivery CloudEvents sent on timers as the CronJobs do.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CloudEvent } from 'cloudevents';
import postgres from 'postgres';
import { functionRegistry } from '../functions/registry.js';
import { loadFunction } from '../functions/load.js';
import { startEventPlane } from '../functions/event-plane/index.js';
import { EventType, eventStreamConfig, natsConnection } from '../shared/events/index.js';
import { type Closable, createRuntime, loadSettingsOrExit, runProcess, startHost } from '../shared/runtime/index.js';
import { createLogger } from '../shared/logger.js';
import { addThreadMetrics, loadLocalConfig, startGrpcThread, type LocalConfig } from './start/index.js';
import { ensureNats, loadOrCreateAdminToken, loadOrCreateSessionSecret, loadOrCreateWebhookSecretKey, startEmbeddedPostgres } from './local/index.js';
import { migrateDatabase } from './migrate.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Starts PostgreSQL and NATS when none are given, then Polaris on them; resolves once it is ready. */
async function startPolaris(config: LocalConfig): Promise<Closable> {
  const stateDir = resolve(config.stateDir);
  await mkdir(stateDir, { recursive: true });
  // Whatever started, stopped in reverse order: at Ctrl-C, or when a later step fails.
  const started: Closable[] = [];
  const stopAll = async () => {
    for (const service of started.splice(0).reverse()) await service.close();
  };
  try {
    let databaseUrl = config.runtime.databaseUrl;
    if (!databaseUrl) {
      say(`Starting embedded PostgreSQL in ${config.stateDir}/postgres …`);
      const embedded = await startEmbeddedPostgres({ dataDir: resolve(stateDir, 'postgres'), log: say });
      started.push({ close: () => embedded.stop() });
      databaseUrl = await ensureDatabase(embedded.url, 'polaris');
    }
    const nats = await ensureNats({ url: config.natsUrl, stateDir, log: say });
    started.push({ close: () => nats.stop() });
    const adminToken = config.runtime.adminToken ?? (await loadOrCreateAdminToken(stateDir));
    const sessionSecret = config.runtime.sessionSecret ?? (await loadOrCreateSessionSecret(stateDir));
    const webhookSecretKey = config.runtime.webhookSecretKey ?? (await loadOrCreateWebhookSecretKey(stateDir));

    const applied = await migrateDatabase(databaseUrl);
    if (applied.length > 0) say(`Applied migrations: ${applied.join(', ')}`);

    const runtimeConfig = {
      ...config.runtime,
      service: 'polaris-local',
      databaseUrl,
      natsUrl: nats.url,
      adminToken,
      sessionSecret,
      webhookSecretKey,
      // Functions calling functions come back to this process's gRPC port.
      grpcAddress: `127.0.0.1:${config.grpcPort}`,
    };
    const runtime = createRuntime(runtimeConfig);
    // The RPCs on a thread of their own, the HTTP and event functions here.
    const rpcs = await startGrpcThread({ config: runtimeConfig, host: config.host, port: config.grpcPort }, (err) => {
      runtime.logger.fatal({ err }, 'polaris: the gRPC thread failed');
      process.exit(1);
    });
    started.push(rpcs);
    addThreadMetrics(runtime.metrics, rpcs);
    const httpEntries = functionRegistry.filter((entry) => entry.kind !== 'grpc');
    const functions = await Promise.all(httpEntries.map(async (entry) => ({ entry, fn: await loadFunction(entry) })));
    const host = await startHost({ runtime, functions, host: config.host, httpPort: config.httpPort });
    started.push(host);

    // The outboxes to JetStream, and events from JetStream to the event
    // functions, as the delivery process does in the cluster.
    const eventPlane = await startEventPlane({
      nats: () => natsConnection(runtime),
      stream: eventStreamConfig(runtime.config),
      logger: runtime.logger,
      metrics: runtime.metrics,
      sql: runtime.database(),
      deliver: (functionName, event) => host.deliver(functionName, event),
    });
    started.push({ close: async () => void (await eventPlane.stop(runtime.config.shutdownGraceMs)) });

    const schedule = (type: string, intervalSeconds: number, what: string) => {
      if (intervalSeconds <= 0) return;
      const timer = setInterval(() => {
        const event = new CloudEvent({ type, source: '/polaris/local/scheduler', data: {} });
        host.dispatch(event).catch((err: unknown) => runtime.logger.error({ err }, `scheduled ${what} failed`));
      }, intervalSeconds * 1000);
      started.push({ close: async () => clearInterval(timer) });
    };
    schedule(EventType.AggregationRequested, config.aggregationIntervalSeconds, 'aggregation');
    schedule(EventType.WebhooksDeliveryDue, config.webhookRetryIntervalSeconds, 'webhook delivery run');

    const http = `http://${config.host}:${host.httpPort}`;
    say('');
    say(`HTTP    ${http}  (POST /ingest, POST /graphql, GET /graphiql, GET /dashboard, GET /invoices/<id>.pdf, GET /auth/oidc, POST /events, GET /metrics)`);
    if (runtimeConfig.oidc) say(`OpenID Connect sign-in through ${runtimeConfig.oidc.issuer}; callback ${runtimeConfig.oidc.redirectUrl}`);
    say(`gRPC    ${config.host}:${rpcs.port}  (h2c, reflection and grpc.health.v1)`);
    say(`NATS    ${nats.url}`);
    say(`Admin token: ${adminToken}`);
    say(`${functionRegistry.length} functions: ${functionRegistry.map((entry) => entry.name).join(', ')}`);
    say('Polaris is ready');
    return { close: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The URL of database `name` on the server at `serverUrl`, created when missing. */
async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!exists) await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const config = loadSettingsOrExit('Polaris cannot start', () => loadLocalConfig());
await runProcess({
  name: 'polaris',
  logger: createLogger({ service: 'polaris-local', revision: config.runtime.revision, level: config.runtime.logLevel }),
  start: () => startPolaris(config),
  onStartFailure: (err) => console.error(`Polaris cannot start: ${(err as Error).message}`),
  onStopping: (signal) => say(`\n${signal}: stopping Polaris …`),
});
