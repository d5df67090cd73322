/** The process's one NATS connection, shared by every function it hosts, and the outbox relays that use it. */
import { connect, type NatsConnection } from 'nats';
import type { Runtime } from '../runtime/function.js';
import { eventStreamConfig } from './nats.js';
import { OutboxRelay } from './outbox.js';

/**
 * Resolves once connected and reconnects for ever after, so a NATS outage
 * delays publishing but never fails a request. Drained at shutdown.
 */
export function natsConnection(runtime: Runtime): Promise<NatsConnection> {
  return runtime.resource(
    'nats',
    () =>
      connect({
        servers: runtime.config.natsUrl,
        name: runtime.config.service,
        waitOnFirstConnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
      }),
    async (pending) => {
      // Never wait for a server that is not there: drain only a live connection.
      const connection = await Promise.race([pending, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100))]);
      if (connection && !connection.isClosed()) await connection.drain().catch(() => connection.close());
    },
  );
}

/**
 * Starts relaying `<schema>.outbox` to JetStream for the process's lifetime:
 * stopped at shutdown, before the NATS connection and the pool close.
 */
export function startOutboxRelay(runtime: Runtime, schema: string): OutboxRelay {
  // Connect now, so the relay's shutdown hook runs before the connection's.
  void natsConnection(runtime);
  const relay = new OutboxRelay({
    sql: runtime.database(),
    schema,
    nats: () => natsConnection(runtime),
    stream: eventStreamConfig(runtime.config),
    logger: runtime.logger,
    metrics: runtime.metrics,
  });
  relay.start();
  runtime.onShutdown(() => relay.stop());
  return relay;
}
