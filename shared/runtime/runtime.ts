/**
 * The per-process Runtime: configuration, logger, metrics and the resources
 * functions share, opened on first use and closed in reverse order at shutdown.
 */
import type { Registry } from 'prom-client';
import { ConfigError, type RuntimeConfig } from '../config.js';
import { connectDatabase, type Sql } from '../database.js';
import { GrpcClients } from '../grpc/index.js';
import { createLogger, type Logger } from '../logger.js';
import { createMetricsRegistry } from '../metrics.js';
import type { Runtime } from './function.js';

export interface ProcessRuntime extends Runtime {
  /** Runs the shutdown hooks, newest first. Errors are logged, not thrown. */
  close(): Promise<void>;
}

export function createRuntime(config: RuntimeConfig, overrides: { logger?: Logger; metrics?: Registry } = {}): ProcessRuntime {
  const logger = overrides.logger ?? createLogger({ service: config.service, revision: config.revision, level: config.logLevel });
  const metrics = overrides.metrics ?? createMetricsRegistry({ service: config.service, revision: config.revision });
  const closers: Array<() => Promise<void> | void> = [];
  let sql: Sql | undefined;
  const resources = new Map<string, unknown>();

  const clients = new GrpcClients({ address: config.grpcAddress, addressTemplate: config.functionAddressTemplate });
  closers.push(() => clients.close());

  return {
    config,
    logger,
    metrics,
    clients,
    database() {
      if (!sql) {
        if (!config.databaseUrl) throw new ConfigError(['database: DATABASE_URL is required']);
        const pool = connectDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize });
        closers.push(() => pool.end({ timeout: 5 }));
        sql = pool;
      }
      return sql;
    },
    resource<T>(name: string, open: () => T, close: (resource: T) => Promise<void> | void): T {
      if (!resources.has(name)) {
        const resource = open();
        resources.set(name, resource);
        closers.push(() => close(resource));
      }
      return resources.get(name) as T;
    },
    onShutdown(close) {
      closers.push(close);
    },
    async close() {
      for (const close of closers.splice(0).reverse()) {
        try {
          await close();
        } catch (err) {
          logger.warn({ err }, 'error during shutdown');
        }
      }
    },
  };
}
