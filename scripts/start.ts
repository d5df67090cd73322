/**
 * `npm start`: every function of Polaris on this machine, wired as in the
 * cluster. HTTP functions on POLARIS_HTTP_PORT, every RPC on POLARIS_GRPC_PORT
 * (from a worker thread, scripts/local/grpc-thread.ts), PostgreSQL and NATS
 * from the environment or started here, and the
 * aggregation CloudEvent sent on a timer as the CronJob does.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CloudEvent } from 'cloudevents';
import postgres from 'postgres';
import { functionRegistry } from '../functions/registry.js';
import { loadFunction } from '../functions/load.js';
import { outboxSchemas } from '../functions/migrations.js';
import { ConfigError } from '../shared/config.js';
import { EventDelivery, subscriptionsFromRegistry } from '../shared/delivery/index.js';
import { natsConnection, startOutboxRelays } from '../shared/events/index.js';
import { eventStreamConfig } from '../shared/events/nats.js';
import { startHost } from '../shared/runtime/host.js';
import { handleProcessFailures } from '../shared/runtime/standalone.js';
import { createRuntime } from '../shared/runtime/runtime.js';
import { loadLocalConfig } from './local/config.js';
import { addThreadMetrics, startGrpcThread } from './local/grpc-thread.js';
import { ensureNats, loadOrCreateAdminToken, startEmbeddedPostgres, type RunningService } from './local/index.js';
import { migrateDatabase } from './migrate.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const config = loadLocalConfig();
  const stateDir = resolve(config.stateDir);
  await mkdir(stateDir, { recursive: true });
  const services: RunningService[] = [];
  const stopServices = async () => {
    for (const service of services.splice(0).reverse()) await service.stop();
  };

  try {
    let databaseUrl = config.runtime.databaseUrl;
    if (!databaseUrl) {
      say(`Starting embedded PostgreSQL in ${config.stateDir}/postgres …`);
      const embedded = await startEmbeddedPostgres({ dataDir: resolve(stateDir, 'postgres'), log: say });
      services.push(embedded);
      databaseUrl = await ensureDatabase(embedded.url, 'polaris');
    }
    const nats = await ensureNats({ url: config.natsUrl, stateDir, log: say });
    services.push(nats);
    const adminToken = config.runtime.adminToken ?? (await loadOrCreateAdminToken(stateDir));

    const applied = await migrateDatabase(databaseUrl);
    if (applied.length > 0) say(`Applied migrations: ${applied.join(', ')}`);

    const runtimeConfig = {
      ...config.runtime,
      service: 'polaris-local',
      databaseUrl,
      natsUrl: nats.url,
      adminToken,
      // Functions calling functions come back to this process's gRPC port.
      grpcAddress: `127.0.0.1:${config.grpcPort}`,
    };
    const runtime = createRuntime(runtimeConfig);
    handleProcessFailures(runtime.logger, 'polaris');
    // The RPCs on a thread of their own, the HTTP and event functions here.
    const rpcs = await startGrpcThread({ config: runtimeConfig, host: config.host, port: config.grpcPort }, (err) => {
      runtime.logger.fatal({ err }, 'polaris: the gRPC thread failed');
      process.exit(1);
    });
    addThreadMetrics(runtime.metrics, rpcs);
    const httpEntries = functionRegistry.filter((entry) => entry.kind !== 'grpc');
    const functions = await Promise.all(httpEntries.map(async (entry) => ({ entry, fn: await loadFunction(entry) })));
    const host = await startHost({ runtime, functions, host: config.host, httpPort: config.httpPort });

    // The outboxes to JetStream, and events from JetStream to the event
    // functions, as the delivery process does in the cluster.
    const relays = await startOutboxRelays({
      sql: runtime.database(),
      schemas: outboxSchemas,
      nats: () => natsConnection(runtime),
      stream: eventStreamConfig(runtime.config),
      logger: runtime.logger,
      metrics: runtime.metrics,
    });
    const delivery = new EventDelivery({
      nats: () => natsConnection(runtime),
      stream: eventStreamConfig(runtime.config),
      subscriptions: subscriptionsFromRegistry(functionRegistry),
      deliver: (functionName, event) => host.deliver(functionName, event),
      logger: runtime.logger,
      metrics: runtime.metrics,
    });
    delivery.start();

    let aggregationTimer: NodeJS.Timeout | undefined;
    if (config.aggregationIntervalSeconds > 0) {
      aggregationTimer = setInterval(() => {
        const event = new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/polaris/local/scheduler', data: {} });
        host.dispatch(event).catch((err: unknown) => runtime.logger.error({ err }, 'scheduled aggregation failed'));
      }, config.aggregationIntervalSeconds * 1000);
    }

    const http = `http://${config.host}:${host.httpPort}`;
    say('');
    say(`HTTP    ${http}  (POST /ingest, POST /graphql, GET /graphiql, GET /dashboard, POST /events, GET /metrics)`);
    say(`gRPC    ${config.host}:${rpcs.port}  (h2c, reflection and grpc.health.v1)`);
    say(`NATS    ${nats.url}`);
    say(`Admin token: ${adminToken}`);
    say(`${functionRegistry.length} functions: ${functionRegistry.map((entry) => entry.name).join(', ')}`);
    say('Polaris is ready');

    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      say(`\n${signal}: stopping Polaris …`);
      clearInterval(aggregationTimer);
      await delivery.stop();
      await relays.stop();
      await host.close();
      await rpcs.close();
      await stopServices();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  } catch (err) {
    await stopServices();
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

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `Polaris cannot start: ${err.message}` : `Polaris cannot start: ${(err as Error).message}`);
  process.exit(1);
});
