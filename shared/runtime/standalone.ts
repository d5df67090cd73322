/**
 * The entry point of a bundle: serve one function on PORT the way Knative runs
 * it, and exit 0 after a graceful shutdown on SIGTERM or SIGINT. The server is
 * passed in, so a gRPC bundle carries no HTTP framework and vice versa.
 */
import { ConfigError, loadRuntimeConfig } from '../config.js';
import { ErrorKind, toPublicError } from '../errors.js';
import type { Logger } from '../logger.js';
import { createServiceContexts } from './contexts.js';
import type { AnyFunction, FunctionEntry } from './function.js';
import type { GrpcServerOptions, RunningServer } from './grpc-server.js';
import { createRuntime } from './runtime.js';

/** Starts the server a bundle's function needs; `functions` holds just that function. */
export type StartServer = (options: GrpcServerOptions & { entry: FunctionEntry }) => Promise<RunningServer>;

export async function runStandalone(entry: FunctionEntry, fn: AnyFunction, start: StartServer): Promise<void> {
  let config;
  try {
    config = loadRuntimeConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${entry.name}: ${err.message}`);
    process.exit(1);
  }
  if (fn.kind !== entry.kind) throw new Error(`${entry.name}: module exports a ${fn.kind} function, registry says ${entry.kind}`);
  const runtime = createRuntime({ ...config, service: process.env.K_SERVICE ? config.service : entry.name });
  handleProcessFailures(runtime.logger, entry.name);
  let draining = false;
  try {
    const contexts = await createServiceContexts([fn], runtime);
    const readiness = async () => {
      if (draining) throw new Error('shutting down');
      await contexts.ready();
    };
    const server = await start({ runtime, contexts, readiness, entry, functions: [fn], host: '0.0.0.0', port: config.port });
    runtime.logger.info({ port: server.port, kind: entry.kind }, `${entry.name} listening`);
    const stop = (signal: string) => {
      if (draining) return;
      draining = true;
      runtime.logger.info({ signal }, 'shutting down');
      server
        .close(config.shutdownGraceMs)
        .then(() => runtime.close())
        .then(
          () => process.exit(0),
          (err: unknown) => {
            runtime.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  } catch (err) {
    runtime.logger.fatal({ err }, `${entry.name} failed to start`);
    await runtime.close();
    process.exit(1);
  }
}

/**
 * Logs a crash as one structured line, like every other log line, then exits 1.
 * postgres.js can reject one of its own promises that no caller holds when the
 * server ends a session (57P01 on pg_terminate_backend or a restart); the
 * requests affected get their own error, so that one is a warning, not a crash.
 */
export function handleProcessFailures(logger: Logger, name: string): void {
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
