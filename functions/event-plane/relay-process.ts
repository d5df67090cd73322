/**
 * The outbox relay process of the cluster: always on (a Deployment), it
 * relays the services' outboxes to the Knative Broker, whose address a
 * SinkBinding injects as `K_SINK`, and deletes each row once the Broker
 * answered 2xx. The Broker's Triggers deliver the events to the functions,
 * so this process delivers nothing itself (that is ./process.ts, for
 * `npm start` and compose, which have no Broker).
 *
 * It is also the Triggers' dead-letter sink: `POST /dead-letters?function=…`
 * stores what a function did not take in the JetStream dead-letter stream, as
 * `npm start` does (./dead-letter-sink.ts).
 *
 * `npm run build` bundles it into `dist/outbox-relay/index.mjs`. Settings: the
 * runtime's (DATABASE_URL, NATS_URL, POLARIS_NATS_STREAM,
 * POLARIS_NATS_SUBJECT_PREFIX, PORT, LOG_LEVEL, POLARIS_SHUTDOWN_GRACE_MS) and
 * K_SINK. It serves the ops routes on PORT, ready once the sink is known and
 * the database answers, and exits 0 after a graceful shutdown on SIGTERM or SIGINT.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import { readRuntimeConfig, SettingsReader, type Env, type RuntimeConfig } from '../../shared/config.js';
import { eventStreamConfig, natsConnection } from '../../shared/events/index.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { createRuntime, loadSettingsOrExit, opsRequestHandler, runProcess } from '../../shared/runtime/index.js';
import { DeadLetterRequestError, DeadLetterStore, deadLetterSinkPath, readDeadLetter } from './dead-letter-sink.js';
import { startOutboxRelays } from './event-plane.js';

/** The runtime settings plus where events go. */
export interface RelayConfig extends RuntimeConfig {
  /** K_SINK: the Broker's address, injected by the SinkBinding `outbox-relay`. */
  sink: string;
  /** DATABASE_URL: the outboxes' database. */
  databaseUrl: string;
}

/**
 * Reads the relay's configuration from `env`.
 *
 * @throws ConfigError listing every problem, the runtime's and the relay's together.
 */
export function loadRelayConfig(env: Env = process.env): RelayConfig {
  const read = new SettingsReader(env);
  const runtime = readRuntimeConfig(read);
  const sink = read.url('relay', 'K_SINK', ['http:', 'https:']);
  if (!sink) read.problems.push('relay: K_SINK is not set (the SinkBinding outbox-relay injects it: kubectl get sinkbinding -n polaris)');
  if (!runtime.databaseUrl) read.problems.push('relay: DATABASE_URL is not set');
  read.done();
  // Outside Knative the process names itself, not the whole system.
  return { ...runtime, service: read.string('K_SERVICE') ?? 'outbox-relay', sink: sink!, databaseUrl: runtime.databaseUrl! };
}

/** A running relay process. */
export interface RunningRelay {
  port: number;
  /** Stops the relays (each finishes its pass), drains NATS and closes the server. */
  close(): Promise<void>;
}

/** Starts relaying to `config.sink`, the dead-letter route and the ops routes; resolves once listening. */
export async function startRelayProcess(config: RelayConfig, overrides: { logger?: Logger; metrics?: Registry; host?: string } = {}): Promise<RunningRelay> {
  // A few connections are plenty: the relays claim a batch at a time.
  const runtime = createRuntime({ ...config, databasePoolSize: 3 }, overrides);
  const { logger, metrics } = runtime;
  const sql = runtime.database();
  const relays = await startOutboxRelays(sql, { sink: config.sink, logger }, { metrics });
  const deadLetters = new DeadLetterStore(() => natsConnection(runtime), eventStreamConfig(config));

  let closing = false;
  const ops = opsRequestHandler({
    metrics,
    async readiness() {
      if (closing) throw new Error('shutting down');
      await sql`select 1`;
    },
  });
  const server = createServer((request, response) => {
    if (request.method === 'POST' && (request.url ?? '').split('?')[0] === deadLetterSinkPath) void receiveDeadLetter(request, response, deadLetters, logger);
    else ops(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, overrides.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  logger.info({ port, sink: config.sink }, 'outbox relay listening');

  return {
    port,
    async close() {
      closing = true;
      await relays.stop();
      await runtime.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Largest dead-letter request read: an event's data is bounded well below it. */
const MAX_DEAD_LETTER_BYTES = 4 * 1024 * 1024;

/** Answers 202 once the dead letter is stored, 400 for a request that is none, 503 while NATS is unavailable (Knative tries again). */
async function receiveDeadLetter(request: IncomingMessage, response: ServerResponse, store: DeadLetterStore, logger: Logger): Promise<void> {
  const answer = (status: number, body: object): void => void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_DEAD_LETTER_BYTES) throw new DeadLetterRequestError(`body: larger than ${MAX_DEAD_LETTER_BYTES} bytes`);
      chunks.push(chunk);
    }
    const headers = Object.fromEntries(Object.entries(request.headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, Array.isArray(value) ? value.join(',') : value]])));
    const letter = readDeadLetter(new URL(request.url ?? '/', 'http://sink'), headers, Buffer.concat(chunks).toString('utf8'));
    const stored = await store.store(letter);
    if (stored) logger.error({ function: letter.functionName, type: letter.event.type, eventId: letter.event.id, attempts: letter.attempts, error: letter.error }, 'event dead-lettered');
    answer(202, { stored: true });
  } catch (err) {
    if (err instanceof DeadLetterRequestError) return answer(400, { error: { code: 'invalid_dead_letter', message: err.message } });
    logger.warn({ err }, 'dead letter not stored, Knative tries again');
    answer(503, { error: { code: 'unavailable', message: 'the dead-letter stream is unavailable' } });
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const config = loadSettingsOrExit('outbox-relay', () => loadRelayConfig());
  const logger = createLogger({ service: config.service, revision: config.revision, level: config.logLevel });
  await runProcess({ name: 'outbox-relay', logger, start: () => startRelayProcess(config, { logger }) });
}
