/** The process's one NATS connection, shared by every function it hosts, and the outbox relays. */
import { connect, type NatsConnection } from 'nats';
import type { Runtime } from '../runtime/function.js';
import { outboxNotifyChannel } from './outbox-writer.js';
import { OutboxRelay, type OutboxRelayOptions } from './outbox.js';

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

/** What {@link startOutboxRelays} needs. */
export interface OutboxRelaysOptions extends Omit<OutboxRelayOptions, 'schema'> {
  /** The schemas whose `outbox` tables to relay, e.g. `usage`, `billing`. */
  schemas: readonly string[];
}

/**
 * Relays each schema's outbox to JetStream until `stop()`. Runs in an
 * always-on process (the delivery process in the cluster, `npm start`
 * locally), not in functions that scale to zero: an outbox row must go out
 * even when no request follows it. Inserts NOTIFY `polaris_outbox`, and a
 * LISTEN here wakes the right relay at once; polling covers a missed notice.
 */
export async function startOutboxRelays(options: OutboxRelaysOptions): Promise<{ stop(): Promise<void> }> {
  const { schemas, ...relayOptions } = options;
  const relays = new Map(schemas.map((schema) => [schema, new OutboxRelay({ ...relayOptions, schema })]));
  for (const relay of relays.values()) relay.start();
  let listening: { unlisten(): Promise<void> } | undefined;
  try {
    listening = await options.sql.listen(outboxNotifyChannel, (schema) => relays.get(schema)?.nudge());
  } catch (err) {
    options.logger.warn({ err }, 'outbox: LISTEN failed; relaying by polling');
  }
  return {
    async stop() {
      await listening?.unlisten().catch(() => {});
      await Promise.all([...relays.values()].map((relay) => relay.stop()));
    },
  };
}
