/**
 * How the relays learn of Usage's outbox rows, with polling out of the way
 * (a minute between passes): ingest's usage.recorded rows are announced
 * after their commit (OutboxAnnouncer), every other row NOTIFYs from its own
 * transaction, as before (migration 0008_usage_recorded_announced_after_commit).
 * Real PostgreSQL, real JetStream, a stream of the test's own.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboxRelays } from '../event-plane/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { deleteStream, readStream } from '../../test/support/nats.js';
import { waitFor } from '../../test/support/wait.js';
import { Decimal } from '../../shared/decimal.js';
import { enqueueEvents, EventType, newEvent } from '../../shared/events/index.js';
import { uuidv7 } from '../../shared/uuid.js';
import { UsageStore } from './domain/store.js';
import { aggregateUpdated, usageEventSource } from './domain/events.js';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const id = randomBytes(5).toString('hex');
const stream = { stream: `TEST_WAKEUPS_${id}`, subjectPrefix: `test.wakeups.${id}` };
/** Well under the relays' poll interval: only a wake-up relays a row this soon. */
const promptlyMs = 5_000;

let db: TestDatabase;
let nc: NatsConnection;
let relays: { stop(): Promise<void> };

beforeAll(async () => {
  db = await createTestDatabase();
  nc = await connect({ servers: natsUrl });
  // The relays' first pass, at start, relays what was there before; from then on they wait for a wake-up.
  const before = aggregateUpdated({ orgId: randomUUID(), metric: 'api_calls', day: new Date(), total: '1' });
  await enqueueEvents(db.sql, 'usage', [before]);
  relays = await startOutboxRelays(db.sql, { nats: async () => nc, stream, logger: pino({ level: 'silent' }) }, { metrics: new Registry(), pollIntervalMs: 60_000 });
  await waitFor('the first pass', () => onStream(before.id), promptlyMs);
});

afterAll(async () => {
  await relays?.stop();
  await nc?.close();
  await deleteStream(natsUrl, stream.stream);
  await db?.drop();
});

const onStream = async (eventId: string) => (await readStream(natsUrl, stream.stream)).some((stored) => stored.event.id === eventId);
const outboxRows = async () => (await db.sql<{ n: number }[]>`select count(*)::int as n from usage.outbox`)[0]!.n;

describe("Usage's outbox wakes the relays", () => {
  it('leaves a usage.recorded row written without an announcement to polling, and relays it with the next announced one', async () => {
    const unannounced = newEvent(EventType.UsageRecorded, usageEventSource, { orgId: randomUUID(), metric: 'api_calls', quantity: '1', occurredAt: new Date().toISOString(), eventId: randomUUID() });
    await enqueueEvents(db.sql, 'usage', [unannounced]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await outboxRows()).toBe(1);

    const event = { id: uuidv7(), orgId: randomUUID(), metric: 'api_calls', quantity: Decimal.of('2.5'), occurredAt: new Date(), properties: new Map() };
    await new UsageStore(db.sql).insertEvents([event]);
    await waitFor('the ingested event on the stream', () => onStream(event.id), promptlyMs);
    await waitFor('the outbox to empty', async () => (await outboxRows()) === 0, promptlyMs);
    expect(await onStream(unannounced.id)).toBe(true);
  });

  it("relays aggregation's events at their commit, as every other outbox row", async () => {
    const updated = aggregateUpdated({ orgId: randomUUID(), metric: 'api_calls', day: new Date(), total: '3' });
    await enqueueEvents(db.sql, 'usage', [updated]);
    await waitFor('aggregate.updated on the stream', () => onStream(updated.id), promptlyMs);
  });
});
