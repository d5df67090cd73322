/**
 * How a Polaris process starts and stops, written once. Serving: the service
 * contexts, a readiness check that turns off while draining, the servers,
 * then at close the drain and the resources. Running as a process: settings
 * read or exit 1 listing every problem, crashes logged as one structured line,
 * SIGTERM or SIGINT drained once, exit 0 after a clean stop. A bundle, `npm
 * start`, its RPC thread and the delivery process all go through here.
 */
import { ConfigError } from '../config.js';
import { ErrorKind, toPublicError } from '../errors.js';
import type { Logger } from '../logger.js';
import { createServiceContexts } from './contexts.js';
import type { ProcessRuntime } from './runtime.js';
import type { RunningServer, ServerOptions } from './server.js';

/** Something that runs until it is closed. */
export interface Closable {
  close(): Promise<void>;
}

/** What each server of {@link serveFunctions} is started with; it adds its host and port. */
export type SharedServerOptions = Omit<ServerOptions, 'host' | 'port'>;

/** Functions being served by their servers. */
export interface Served<Servers extends readonly (RunningServer | undefined)[]> extends Closable {
  /** The servers, in the order their starters were given (undefined where a starter chose to start none). */
  servers: Servers;
  /**
   * Turns readiness off, lets each server finish its in-flight work (up to
   * the runtime's grace period), then closes the runtime's resources.
   */
  close(): Promise<void>;
}

/**
 * Creates the service contexts of `functions` and starts each server on
 * them. When a server fails to start, the ones started are closed and the
 * runtime too, and the error is thrown.
 */
export async function serveFunctions<Servers extends readonly (RunningServer | undefined)[]>(options: {
  runtime: ProcessRuntime;
  functions: ServerOptions['functions'];
  servers: { [K in keyof Servers]: (options: SharedServerOptions) => Promise<Servers[K]> };
}): Promise<Served<Servers>> {
  const { runtime, functions } = options;
  const started: (RunningServer | undefined)[] = [];
  const close = (graceMs: number) => Promise.all(started.map((server) => server?.close(graceMs)));
  let draining = false;
  try {
    const contexts = await createServiceContexts(
      functions.map(({ fn }) => fn),
      runtime,
    );
    const shared: SharedServerOptions = {
      runtime,
      functions,
      contexts,
      async readiness() {
        if (draining) throw new Error('shutting down');
        await contexts.ready();
      },
    };
    for (const start of options.servers) started.push(await start(shared));
  } catch (err) {
    await close(0);
    await runtime.close();
    throw err;
  }
  return {
    servers: started as unknown as Servers,
    async close() {
      if (draining) return;
      draining = true;
      await close(runtime.config.shutdownGraceMs);
      await runtime.close();
    },
  };
}

/** The settings `load` reads; on a ConfigError, prints `<name>: <every problem>` and exits 1. */
export function loadSettingsOrExit<T>(name: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${name}: ${err.message}`);
    process.exit(1);
  }
}

/** How {@link runProcess} runs a process. */
export interface ProcessOptions {
  /** The process's name in log lines, e.g. the function's. */
  name: string;
  logger: Logger;
  /** Starts the process's work; resolves once it serves. */
  start(): Promise<Closable>;
  /** Says that the process is stopping. Default: a log line. */
  onStopping?(signal: NodeJS.Signals): void;
  /** Says why the process could not start. Default: a fatal log line. */
  onStartFailure?(err: unknown): void;
}

/**
 * Runs a process until SIGTERM or SIGINT, then closes what `start` returned,
 * once, and exits 0 (1 when closing failed). Exits 1 when `start` fails, and
 * on a crash, logging it first.
 */
export async function runProcess(options: ProcessOptions): Promise<void> {
  const { name, logger } = options;
  handleProcessFailures(logger, name);
  let running: Closable;
  try {
    running = await options.start();
  } catch (err) {
    (options.onStartFailure ?? ((cause: unknown) => logger.fatal({ err: cause }, `${name} failed to start`)))(err);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    (options.onStopping ?? ((received: NodeJS.Signals) => logger.info({ signal: received }, 'shutting down')))(signal);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * Logs a crash as one structured line, like every other log line, then exits 1.
 * postgres.js can reject one of its own promises that no caller holds when the
 * server ends a session (57P01 on pg_terminate_backend or a restart); the
 * requests affected get their own error, so that one is a warning, not a crash.
 */
function handleProcessFailures(logger: Logger, name: string): void {
  const crash = (kind: string) => (err: unknown) => {
    logger.fatal({ err }, `${name}: ${kind}`);
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', (err) => {
    if (toPublicError(err).kind === ErrorKind.Unavailable) logger.warn({ err }, 'database connection lost');
    else crash('unhandled rejection')(err);
  });
}
