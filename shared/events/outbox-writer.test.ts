/**
 * OutboxAnnouncer against real PostgreSQL: what a relay LISTENing on
 * `polaris_outbox` hears after commits are announced.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { waitFor } from '../../test/support/wait.js';
import { OutboxAnnouncer, outboxNotifyChannel } from './index.js';

const delayMs = 150;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A database, and the notifications a listener on it has heard so far. */
async function listening(): Promise<{ db: TestDatabase; heard: string[] }> {
  const db = await createTestDatabase({ migrate: false });
  cleanups.push(() => db.drop());
  const heard: string[] = [];
  const listener = await db.sql.listen(outboxNotifyChannel, (payload) => heard.push(payload));
  cleanups.push(() => listener.unlisten());
  return { db, heard };
}

describe('OutboxAnnouncer', () => {
  it('sends one NOTIFY, naming the schema, for the commits of its delay, and only once the delay has passed', async () => {
    const { db, heard } = await listening();
    const announcer = new OutboxAnnouncer(db.sql, 'usage', delayMs);

    const first = Date.now();
    announcer.committed();
    announcer.committed();
    await sleep(20);
    announcer.committed();
    await waitFor('the NOTIFY', () => heard.length > 0);
    expect(Date.now() - first).toBeGreaterThanOrEqual(delayMs);
    expect(heard).toEqual(['usage']);

    // Nothing else was left scheduled.
    await sleep(delayMs * 2);
    expect(heard).toEqual(['usage']);
  });

  it('announces a commit made after its NOTIFY went out with another one', async () => {
    const { db, heard } = await listening();
    const announcer = new OutboxAnnouncer(db.sql, 'usage', delayMs);

    announcer.committed();
    await waitFor('the first NOTIFY', () => heard.length === 1);
    announcer.committed();
    await waitFor('the second NOTIFY', () => heard.length === 2);
    expect(heard).toEqual(['usage', 'usage']);
  });

  it('drops the NOTIFY, and rejects nothing unhandled, when the database has gone', async () => {
    const db = await createTestDatabase({ migrate: false });
    cleanups.push(() => db.drop());
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(async () => void process.off('unhandledRejection', onUnhandled));
    const announcer = new OutboxAnnouncer(db.sql, 'usage', 10);
    await db.sql.end();

    announcer.committed();
    await sleep(200);
    expect(unhandled).toEqual([]);
  });
});
