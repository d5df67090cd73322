/**
 * The outbox relay's metrics: events published and failed passes, and the
 * backlog of each outbox, read from its table when Prometheus scrapes.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Sql } from '../../shared/database.js';
import type { Logger } from '../../shared/logger.js';
import { oncePerRegistry } from '../../shared/metrics.js';

/** An outbox the backlog gauges report on. */
export interface BacklogSource {
  schema: string;
  sql: Sql;
  logger: Logger;
}

export interface OutboxMetrics {
  published: Counter<'schema' | 'type'>;
  failures: Counter<'schema'>;
  /** The outboxes whose backlog a scrape reads; a relay adds its own while it runs. */
  sources: Set<BacklogSource>;
}

interface Backlog {
  backlog: number;
  oldestAgeSeconds: number;
}

/** The relay metrics of `registry`, shared by every relay of the process. */
export const outboxMetrics = oncePerRegistry((registry: Registry): OutboxMetrics => {
  const sources = new Set<BacklogSource>();
  // Both gauges come from one query per outbox; a scrape collects them concurrently and shares it.
  let sampling: Promise<Map<string, Backlog>> | undefined;
  const sample = () => {
    sampling ??= sampleBacklogs(sources).finally(() => {
      sampling = undefined;
    });
    return sampling;
  };
  const collectInto = async (gauge: Gauge<'schema'>, pick: (sampled: Backlog) => number) => {
    gauge.reset();
    for (const [schema, sampled] of await sample()) gauge.set({ schema }, pick(sampled));
  };
  new Gauge({
    name: 'polaris_outbox_backlog',
    help: 'Events waiting in the outbox, by schema',
    labelNames: ['schema'] as const,
    registers: [registry],
    async collect() {
      await collectInto(this, (s) => s.backlog);
    },
  });
  new Gauge({
    name: 'polaris_outbox_oldest_age_seconds',
    help: 'Seconds the oldest event has waited in the outbox (0 when empty), by schema',
    labelNames: ['schema'] as const,
    registers: [registry],
    async collect() {
      await collectInto(this, (s) => s.oldestAgeSeconds);
    },
  });
  return {
    sources,
    published: new Counter({
      name: 'polaris_outbox_published_total',
      help: 'Events the outbox relay published to JetStream (acknowledged), by schema and event type',
      labelNames: ['schema', 'type'] as const,
      registers: [registry],
    }),
    failures: new Counter({
      name: 'polaris_outbox_publish_failures_total',
      help: 'Outbox relay passes that failed (NATS unreachable or no event acknowledged); each is retried with backoff',
      labelNames: ['schema'] as const,
      registers: [registry],
    }),
  };
});

/** Backlog per schema; an outbox whose database does not answer is left out of this scrape. */
async function sampleBacklogs(sources: ReadonlySet<BacklogSource>): Promise<Map<string, Backlog>> {
  const sampled = new Map<string, Backlog>();
  await Promise.all(
    [...sources].map(async ({ schema, sql, logger }) => {
      try {
        const [row] = await sql<{ backlog: number; age: number }[]>`
          -- A row listing events by id counts each of them.
          select coalesce(sum(events), 0)::int as backlog,
            coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as age
          from ${sql(schema)}.outbox`;
        sampled.set(schema, { backlog: row?.backlog ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) });
      } catch (err) {
        logger.debug({ err, schema }, 'outbox relay: could not measure the backlog');
      }
    }),
  );
  return sampled;
}
