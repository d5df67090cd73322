/**
 * The entry point of a bundle: serve one function on PORT the way Knative runs
 * it, and exit 0 after a graceful shutdown on SIGTERM or SIGINT.
 */
import { ConfigError, loadRuntimeConfig } from '../config.js';
import type { AnyFunction, FunctionEntry } from './function.js';
import { startHost } from './host.js';
import { createRuntime } from './runtime.js';

export async function runStandalone(entry: FunctionEntry, fn: AnyFunction): Promise<void> {
  let config;
  try {
    config = loadRuntimeConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${entry.name}: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  if (fn.kind !== entry.kind) throw new Error(`${entry.name}: module exports a ${fn.kind} function, registry says ${entry.kind}`);
  const runtime = createRuntime({ ...config, service: process.env.K_SERVICE ? config.service : entry.name });
  try {
    const host = await startHost({
      runtime,
      functions: [{ entry, fn }],
      ...(fn.kind === 'grpc' ? { grpcPort: config.port } : { httpPort: config.port }),
      eventRoute: 'root',
    });
    runtime.logger.info({ port: config.port, kind: entry.kind }, `${entry.name} listening`);
    const stop = (signal: string) => {
      runtime.logger.info({ signal }, 'shutting down');
      host.close().then(
        () => process.exit(0),
        (err: unknown) => {
          runtime.logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  } catch (err) {
    runtime.logger.fatal({ err }, `${entry.name} failed to start`);
    await runtime.close();
    process.exit(1);
  }
}
