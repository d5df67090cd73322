/**
 * The entry point of a bundle: serve one function on PORT the way Knative runs
 * it, and exit 0 after a graceful shutdown on SIGTERM or SIGINT. The server is
 * passed in, so a bundle carries only its kind's: grpc-js for a gRPC
 * function, Fastify for an HTTP one, node:http alone for an event function.
 */
import { loadRuntimeConfig } from '../config.js';
import type { AnyFunction, FunctionEntry } from './function.js';
import { loadSettingsOrExit, runProcess, serveFunctions } from './lifecycle.js';
import { createRuntime } from './runtime.js';
import type { StartServer } from './server.js';

export async function runStandalone(entry: FunctionEntry, fn: AnyFunction, start: StartServer): Promise<void> {
  const config = loadSettingsOrExit(entry.name, () => loadRuntimeConfig());
  if (fn.kind !== entry.kind) throw new Error(`${entry.name}: module exports a ${fn.kind} function, registry says ${entry.kind}`);
  // Outside Knative the process names itself after its function.
  const runtime = createRuntime({ ...config, service: process.env.K_SERVICE ? config.service : entry.name });
  await runProcess({
    name: entry.name,
    logger: runtime.logger,
    async start() {
      const served = await serveFunctions({
        runtime,
        functions: [{ entry, fn }],
        servers: [(shared) => start({ ...shared, host: '0.0.0.0', port: config.port })],
      });
      runtime.logger.info({ port: served.servers[0].port, kind: entry.kind }, `${entry.name} listening`);
      return served;
    },
  });
}
