/**
 * Starts functions in-process the way `npm start` does, against a test
 * database and a JetStream stream of the test's own, on ports the OS picks.
 */
import { randomBytes } from 'node:crypto';
import { startEventPlane, type EventPlane } from '../../functions/event-plane/index.js';
import { loadFunction } from '../../functions/load.js';
import { functionRegistry } from '../../functions/registry.js';
import { eventStreamConfig, natsConnection } from '../../shared/events/index.js';
import { loadRuntimeConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/logger.js';
import { createRuntime, type FunctionEntry, type FunctionHost, startHost } from '../../shared/runtime/index.js';
import { onFreePort } from '../../scripts/local/index.js';
import { testAdminToken, testSessionSecret, testWebhookSecretKey } from './grpc.js';

export interface TestHostOptions {
  databaseUrl: string;
  /** Registry entries to host; default all. */
  entries?: readonly FunctionEntry[];
  /** The HTTP port; default one the OS picks. Known in advance when a setting names it (an OpenID Connect callback). */
  httpPort?: number;
  /** Extra environment (NATS_URL, cache settings, …). */
  env?: Record<string, string>;
  /**
   * Delivers the stream's events to this host's event functions, as `npm
   * start` does. Default off: most tests dispatch events themselves.
   */
  /** Collects every log line of the host here, at debug level (default: silent unless POLARIS_TEST_LOG_LEVEL). */
  logLines?: string[];
  delivery?: Pick<NonNullable<Parameters<typeof startEventPlane>[0]['delivery']>, 'maxDeliver' | 'backoffMs'> | boolean;
}

export interface TestHost extends FunctionHost {
  grpcAddress: string;
  http: string;
  natsUrl: string;
  /** This host's own JetStream stream and subject prefix. */
  stream: { stream: string; subjectPrefix: string };
  eventPlane: EventPlane;
}

export async function startTestHost(options: TestHostOptions): Promise<TestHost> {
  const entries = options.entries ?? functionRegistry;
  const functions = await Promise.all(entries.map(async (entry) => ({ entry, fn: await loadFunction(entry) })));
  // Quiet unless asked: POLARIS_TEST_LOG_LEVEL=error shows why a function answered 500.
  const logger = options.logLines
    ? createLogger({ service: 'test', revision: 'test', level: 'debug', destination: { write: (line: string) => void options.logLines!.push(line) } })
    : createLogger({ service: 'test', revision: 'test', level: process.env.POLARIS_TEST_LOG_LEVEL ?? 'silent' });
  const suffix = randomBytes(4).toString('hex');
  // The gRPC port is named in the config before it is bound (every RPC from
  // inside the host, one function calling another, comes back to it), and
  // another test file's server can take it in between: the start then tries
  // again on another. A failed start has already closed its runtime.
  const { host, runtime, grpcAddress } = await onFreePort(
    async (grpcPort) => {
      const grpcAddress = `127.0.0.1:${grpcPort}`;
      const config = loadRuntimeConfig({
        POLARIS_GRPC_ADDRESS: grpcAddress,
        LOG_LEVEL: 'silent',
        POLARIS_ADMIN_TOKEN: testAdminToken,
        POLARIS_SESSION_SECRET: testSessionSecret,
        POLARIS_WEBHOOK_SECRET_KEY: testWebhookSecretKey,
        POLARIS_NATS_STREAM: `TEST_${suffix}`,
        POLARIS_NATS_SUBJECT_PREFIX: `test.${suffix}`,
        ...options.env,
        DATABASE_URL: options.databaseUrl,
      });
      const runtime = createRuntime(config, { logger });
      const host = await startHost({ runtime, functions, host: '127.0.0.1', httpPort: options.httpPort ?? 0, grpcPort });
      return { host, runtime, grpcAddress };
    },
    (err) => (err as NodeJS.ErrnoException).code === 'EADDRINUSE',
  );
  const { config } = runtime;
  // As `npm start` does: the outboxes relayed to this host's stream, and delivery when asked for.
  const eventPlane = await startEventPlane({
    nats: () => natsConnection(runtime),
    stream: eventStreamConfig(config),
    logger: runtime.logger,
    metrics: runtime.metrics,
    sql: runtime.database(),
    deliver: options.delivery ? (functionName, event) => host.deliver(functionName, event) : undefined,
    delivery: typeof options.delivery === 'object' ? options.delivery : undefined,
  });
  return {
    ...host,
    async close() {
      await eventPlane.stop();
      await host.close();
    },
    eventPlane,
    grpcAddress,
    http: `http://127.0.0.1:${host.httpPort}`,
    natsUrl: config.natsUrl,
    stream: { stream: config.natsStream, subjectPrefix: config.natsSubjectPrefix },
  };
}
