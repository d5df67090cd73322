/** The process's one NATS connection, shared by every function it hosts and by the event plane. */
import { connect, type NatsConnection } from 'nats';
import type { Runtime } from '../runtime/index.js';

/**
 * Connects to NATS, waiting for a server that is not up yet, and reconnects
 * for ever after, so a NATS outage delays publishing but never fails a request.
 */
export function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({
    servers: url,
    name,
    waitOnFirstConnect: true,
    // An Error per JetStream publish, for async stack traces, was a third of the relay's CPU.
    noAsyncTraces: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
  });
}

/** Drains a connection at shutdown, without waiting for a server that is not there. */
export async function closeNats(pending: Promise<NatsConnection>): Promise<void> {
  const connection = await Promise.race([pending.catch(() => undefined), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100))]);
  if (connection && !connection.isClosed()) await connection.drain().catch(() => connection.close());
}

/** The runtime's NATS connection ({@link connectNats}), drained when the runtime closes. */
export function natsConnection(runtime: Runtime): Promise<NatsConnection> {
  return runtime.resource('nats', () => connectNats(runtime.config.natsUrl, runtime.config.service), closeNats);
}
