/**
 * NATS with JetStream for local runs: the server the user named, the one on
 * the default port, or a private `nats-server` started under the state
 * directory.
 *
 * @module
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { onFreePort } from './ports.js';
import { errorMessage, findOnPath, processFailure, superviseProcess, type RunningService } from './processes.js';

/** Options for {@link ensureNats}. */
export interface EnsureNatsOptions {
  /** An explicit server to use (from `NATS_URL`); it must answer and have JetStream. */
  url?: string;
  /** Where a private `nats-server` keeps its JetStream store (`<stateDir>/nats`) and log. */
  stateDir: string;
  /** Receives short progress messages. */
  log?: (msg: string) => void;
}

/** Options for {@link startNatsServer}. */
export interface NatsServerOptions {
  /** JetStream store goes to `<stateDir>/nats`, the server log to `<stateDir>/nats-server.log`. */
  stateDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /** Receives short progress messages. */
  log?: (msg: string) => void;
}

/** A `nats-server` child process started by {@link startNatsServer}. */
export interface NatsServerHandle extends RunningService {
  /** The TCP port the server listens on (127.0.0.1). */
  port: number;
  /** Process id of the `nats-server` child, e.g. to SIGSTOP/SIGKILL it in fault-injection tests. */
  pid: number;
}

/** The URL tried when no NATS_URL is given. */
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
const NATS_PROBE_TIMEOUT_MS = 2_000;
const NATS_START_DEADLINE_MS = 10_000;
/** SIGTERM, and SIGKILL when it has not exited after 10 s. */
const NATS_STOP_STEPS = [
  { signal: 'SIGTERM', waitMs: 10_000 },
  { signal: 'SIGKILL', waitMs: 5_000 },
] as const;

/**
 * Starts a private `nats-server` (found on PATH) with JetStream:
 * `nats-server -a 127.0.0.1 -p <port> -js -sd <stateDir>/nats`, and waits (up
 * to ~10 s) until it says it is ready. Its output goes to
 * `<stateDir>/nats-server.log`. When `port` is omitted a free one is picked
 * (and re-picked if it was taken meanwhile).
 *
 * @returns the server's URL, port and pid, and `stop()` which sends SIGTERM and
 *   waits for it to exit (SIGKILL after 10 s).
 * @throws if `nats-server` is not on PATH (the message says how to get one), or
 *   it exits or does not answer in time.
 */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServerHandle> {
  const log = options.log ?? (() => undefined);
  const binary = await findOnPath('nats-server');
  if (binary === undefined) {
    throw new Error(
      'nats: no NATS server found. Set NATS_URL to a NATS server with JetStream enabled, ' +
        'or install nats-server so it is on PATH (apt-get install nats-server on Debian/Ubuntu, or https://nats.io/download/).',
    );
  }
  const storeDir = path.join(path.resolve(options.stateDir), 'nats');
  await fs.mkdir(storeDir, { recursive: true });
  const logFile = path.join(path.resolve(options.stateDir), 'nats-server.log');

  const start = async (port: number): Promise<NatsServerHandle> => {
    const url = `nats://127.0.0.1:${port}`;
    const server = superviseProcess({
      command: binary,
      args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir],
      logFile,
      stopSteps: NATS_STOP_STEPS,
      exitSignal: 'SIGTERM',
      readyMessage: 'Server is ready',
    });
    const ready = await server.waitUntilReady(NATS_START_DEADLINE_MS);
    if (!ready) {
      const died = server.hasExited();
      await server.stop();
      throw processFailure(server, 'nats: nats-server', died ? undefined : `was not ready on ${url} within ${NATS_START_DEADLINE_MS / 1000} s`);
    }
    log(`nats: started nats-server (pid ${server.pid}) on ${url}, JetStream store ${storeDir}`);
    return { url, port, pid: server.pid, stop: () => server.stop() };
  };
  return onFreePort(start, (err) => /address already in use/i.test(errorMessage(err)), options.port);
}

/**
 * Finds a NATS server with JetStream for local runs:
 *
 * - `options.url` given (NATS_URL): it must answer within a couple of seconds,
 *   otherwise throws `nats: no server answers at <url>`; it is reused as is
 *   (`stop()` does nothing).
 * - otherwise `nats://127.0.0.1:4222` is reused if it answers;
 * - otherwise a private `nats-server` is started with {@link startNatsServer}
 *   under `options.stateDir`, and `stop()` stops it.
 *
 * Whichever server is used must have JetStream, otherwise throws
 * `nats: JetStream is not enabled on <url>`.
 */
export async function ensureNats(options: EnsureNatsOptions): Promise<RunningService> {
  const log = options.log ?? (() => undefined);
  const reuse = (url: string): RunningService => ({ url, stop: async () => undefined });

  if (options.url !== undefined && options.url !== '') {
    const probe = await probeNats(options.url);
    if (probe.state === 'down') throw new Error(`nats: no server answers at ${options.url}`);
    if (probe.state === 'no-jetstream') throw noJetStreamError(options.url, probe.detail);
    return reuse(options.url);
  }

  const probe = await probeNats(DEFAULT_NATS_URL);
  if (probe.state === 'ok') {
    log(`nats: using the server already running at ${DEFAULT_NATS_URL}`);
    return reuse(DEFAULT_NATS_URL);
  }
  if (probe.state === 'no-jetstream') throw noJetStreamError(DEFAULT_NATS_URL, probe.detail);

  const server = await startNatsServer({ stateDir: options.stateDir, log });
  const check = await probeNats(server.url);
  if (check.state !== 'ok') {
    await server.stop();
    throw check.state === 'no-jetstream'
      ? noJetStreamError(server.url, check.detail)
      : new Error(`nats: no server answers at ${server.url}`);
  }
  return { url: server.url, stop: server.stop };
}

type NatsProbe = { state: 'down' } | { state: 'no-jetstream'; detail: string } | { state: 'ok' };

/** Connects once (no reconnects) and checks JetStream answers for the account. */
async function probeNats(url: string, timeoutMs = NATS_PROBE_TIMEOUT_MS): Promise<NatsProbe> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: url, timeout: timeoutMs, reconnect: false, maxReconnectAttempts: 0, name: 'polaris-probe' });
  } catch {
    return { state: 'down' };
  }
  try {
    const jsm = await nc.jetstreamManager({ timeout: timeoutMs });
    await jsm.getAccountInfo();
    return { state: 'ok' };
  } catch (err) {
    return { state: 'no-jetstream', detail: errorMessage(err) };
  } finally {
    await nc.close().catch(() => undefined);
  }
}

function noJetStreamError(url: string, detail: string): Error {
  return new Error(
    `nats: JetStream is not enabled on ${url} (${detail}). ` +
      'Start that server with JetStream (nats-server -js), or set NATS_URL to a server that has it.',
  );
}
