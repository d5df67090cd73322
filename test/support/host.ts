/**
 * Starts functions in-process the way `npm start` does, against a test
 * database, on ports the OS picks.
 */
import { testAdminToken } from './grpc.js';
import { findFreePort } from '../../scripts/local/infrastructure.js';
import { functionRegistry } from '../../functions/registry.js';
import { loadFunction } from '../../functions/load.js';
import { loadRuntimeConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/logger.js';
import { startHost, type FunctionHost } from '../../shared/runtime/host.js';
import { createRuntime } from '../../shared/runtime/runtime.js';
import type { FunctionEntry } from '../../shared/runtime/function.js';

export interface TestHostOptions {
  databaseUrl: string;
  /** Registry entries to host; default all. */
  entries?: readonly FunctionEntry[];
  env?: Record<string, string>;
}

export async function startTestHost(options: TestHostOptions): Promise<FunctionHost & { grpcAddress: string }> {
  const entries = options.entries ?? functionRegistry;
  const grpcPort = await findFreePort();
  // Every RPC from inside the host (one function calling another) comes back to it.
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  const config = loadRuntimeConfig({
    DATABASE_URL: options.databaseUrl,
    POLARIS_GRPC_ADDRESS: grpcAddress,
    LOG_LEVEL: 'silent',
    POLARIS_ADMIN_TOKEN: testAdminToken,
    ...options.env,
  });
  const runtime = createRuntime(config, { logger: createLogger({ service: 'test', revision: 'test', level: 'silent' }) });
  const functions = await Promise.all(entries.map(async (entry) => ({ entry, fn: await loadFunction(entry) })));
  const host = await startHost({ runtime, functions, host: '127.0.0.1', httpPort: 0, grpcPort });
  return { ...host, grpcAddress };
}
