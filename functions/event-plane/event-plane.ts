/**
 * The event plane: the services' outboxes relayed to JetStream, and each event
 * delivered from JetStream to every function the registry subscribes to its
 * type. One way to start it for every place it runs: the always-on delivery
 * process in the cluster (./process.ts), `npm start`, and the tests' host.
 */
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { Sql } from '../../shared/database.js';
import { outboxNotifyChannel, type EventStreamConfig } from '../../shared/events/index.js';
import type { Logger } from '../../shared/logger.js';
import type { FunctionEntry } from '../../shared/runtime/index.js';
import { outboxSchemas } from '../migrations.js';
import { functionRegistry } from '../registry.js';
import { listedUsageEvents } from '../usage/domain/index.js';
import { EventDelivery, type DeliverEvent, type EventDeliveryOptions, type EventSubscription } from './delivery.js';
import { OutboxRelay, type ListedEventsReader, type OutboxRelaySettings, type OutboxTarget } from './outbox-relay.js';

/** What {@link startEventPlane} needs. */
export interface EventPlaneOptions {
  /** The process's NATS connection; it may resolve late (NATS down at start-up). */
  nats: () => Promise<NatsConnection>;
  stream: EventStreamConfig;
  logger: Logger;
  metrics: Registry;
  /** The services' database, whose outboxes are relayed. Without it nothing is relayed. */
  sql?: Sql;
  /** How an event reaches a function. Without it nothing is delivered (a test that delivers by hand). */
  deliver?: DeliverEvent;
  /** Delivery's attempts, backoff and concurrency; defaults in `deliveryDefaults`. */
  delivery?: Pick<EventDeliveryOptions, 'maxDeliver' | 'backoffMs' | 'ackWaitMs' | 'concurrency'>;
  /** The relays' batch size and pacing; defaults in the relay. */
  relay?: Omit<OutboxRelaySettings, 'metrics'>;
}

/** A running event plane. */
export interface EventPlane {
  /** Resolves once delivery's consumers are attached; rejects before (readiness). */
  ready(): Promise<void>;
  /**
   * Stops delivery, waiting up to `graceMs` for deliveries in flight
   * (JetStream redelivers any left), then the relays. Leaves the NATS
   * connection and the database pool to their owner.
   */
  stop(graceMs?: number): Promise<boolean>;
}

/**
 * The functions the registry subscribes to events, with their types: the one
 * routing table of both event planes. `npm start` (and compose) deliver from
 * JetStream with a consumer per (function, type); the cluster generates one
 * Knative Trigger per function from it (scripts/manifests/eventing.ts).
 */
export function subscriptionsFromRegistry(entries: readonly FunctionEntry[] = functionRegistry): EventSubscription[] {
  return entries.flatMap((entry) => (entry.subscribes && entry.subscribes.length > 0 ? [{ name: entry.name, types: entry.subscribes }] : []));
}

/** Starts relaying and delivering; resolves at once, even while NATS is down. */
export async function startEventPlane(options: EventPlaneOptions): Promise<EventPlane> {
  const { nats, stream, logger, metrics } = options;
  const relays = options.sql ? await startOutboxRelays(options.sql, { nats, stream, logger }, { metrics, ...options.relay }) : undefined;
  const delivery = options.deliver
    ? new EventDelivery({ nats, stream, logger, metrics, subscriptions: subscriptionsFromRegistry(), deliver: options.deliver, ...options.delivery })
    : undefined;
  delivery?.start();
  return {
    ready: async () => delivery?.ready(),
    async stop(graceMs = Number.POSITIVE_INFINITY) {
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        (delivery?.stop() ?? Promise.resolve()).then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.min(graceMs, 2 ** 31 - 1)))),
      ]);
      clearTimeout(timer);
      if (!finished) logger.warn({ graceMs }, 'deliveries still in flight at shutdown; JetStream redelivers them');
      await relays?.stop();
      return finished;
    },
  };
}

/** How a schema's outbox rows that list events by id become events (see OutboxRelay): Usage lists its usage.recorded events. */
const listedEventReaders: Partial<Record<(typeof outboxSchemas)[number], ListedEventsReader>> = { usage: listedUsageEvents };

/**
 * Relays each service's outbox to `target` until `stop()`. Inserts NOTIFY
 * `polaris_outbox` with their schema, and a LISTEN here wakes that relay at
 * once; polling covers a missed notice.
 */
export async function startOutboxRelays(sql: Sql, target: OutboxTarget, settings: OutboxRelaySettings): Promise<{ stop(): Promise<void> }> {
  const relays = new Map(outboxSchemas.map((schema) => [schema as string, new OutboxRelay({ ...target, ...settings, sql, schema, listedEvents: listedEventReaders[schema] })]));
  for (const relay of relays.values()) relay.start();
  let listening: { unlisten(): Promise<void> } | undefined;
  try {
    listening = await sql.listen(outboxNotifyChannel, (schema) => relays.get(schema)?.nudge());
  } catch (err) {
    target.logger.warn({ err }, 'outbox: LISTEN failed; relaying by polling');
  }
  return {
    async stop() {
      await listening?.unlisten().catch(() => {});
      await Promise.all([...relays.values()].map((relay) => relay.stop()));
    },
  };
}
