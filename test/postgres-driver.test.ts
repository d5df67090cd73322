/**
 * What `patches/postgres+3.4.9.patch` mends in postgres.js, each reproduced
 * exactly. Two faults of a connection that closes while a small write waits
 * for its flush (postgres.js defers writes under 1 KiB to the next turn of
 * the event loop): upstream, the first crashed the process and the second
 * left the reconnected connection hanging until connect_timeout, which the
 * PostgreSQL fault test met as ingest requests taking 10 s. And settled
 * queries kept through young-generation collections, so that the garbage
 * collector copied and promoted every one (scripts/bench/LOG.md).
 */
import { Socket } from 'node:net';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { adminDatabaseUrl } from './support/database.js';

const connectTimeoutSeconds = 3;
let sql: postgres.Sql | undefined;

afterEach(async () => {
  await sql?.end({ timeout: 1 });
});

/** A one-connection pool whose sockets the test can reach. */
function poolWithSockets(): { sql: postgres.Sql; sockets: Socket[] } {
  const sockets: Socket[] = [];
  const server = new URL(adminDatabaseUrl);
  const pool = postgres(adminDatabaseUrl, {
    max: 1,
    connect_timeout: connectTimeoutSeconds,
    onnotice: () => {},
    // postgres.js documents `socket` (a function returning the connection's
    // socket); its type definitions leave it out.
    socket: () => {
      const socket = new Socket();
      sockets.push(socket);
      socket.connect(Number(server.port || 5432), server.hostname);
      return socket;
    },
  } as postgres.Options<{}>);
  return { sql: pool, sockets };
}

/**
 * Starts a query from a setImmediate callback, as the ingest's group commit
 * does, and destroys the socket in the same callback. postgres.js buffers the
 * query's bytes behind a setImmediate of its own, which can only run in the
 * next turn of the event loop, while the socket's 'close' comes in this
 * turn's close phase: the connection closes with the write pending.
 */
function queryThenCloseWithWritePending(pool: { sql: postgres.Sql; sockets: Socket[] }): Promise<string | undefined> {
  return new Promise((resolve) => {
    setImmediate(async () => {
      const outcome = pool.sql`select 1 as one`.execute().then(() => 'answered', (err: { code?: string }) => err.code);
      // postgres.js hands the query to its connection after a microtask.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      pool.sockets.at(-1)!.destroy();
      resolve(outcome);
    });
  });
}

/** V8's `gc()`, which this process was not started with: a full collection, or `{ type: 'minor' }` a young-generation one. */
function exposedGc(): (options?: { type: 'minor' }) => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as (options?: { type: 'minor' }) => void;
}

const oldSpaceUsed = () => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!.space_used_size;

describe('postgres.js, patched', () => {
  it('reconnects and answers after its connection closed with a write pending', async () => {
    const pool = poolWithSockets();
    sql = pool.sql;
    await sql`select 1`;

    expect(await queryThenCloseWithWritePending(pool)).toBe('CONNECTION_CLOSED');

    // Upstream, the reconnected connection never sent its startup message:
    // this query failed with CONNECT_TIMEOUT after connect_timeout.
    const [row] = await sql<{ one: number }[]>`select 1 as one`;
    expect(row!.one).toBe(1);
    expect(pool.sockets.length).toBe(2);
  });

  it('fails the transaction, rather than the process, when a write finds its socket gone', async () => {
    const pool = poolWithSockets();
    sql = pool.sql;
    const outcome = await sql
      .begin(async (tx) => {
        await tx`select 1`;
        const socket = pool.sockets.at(-1)!;
        const closed = new Promise((resolve) => socket.once('close', resolve));
        socket.destroy();
        await closed;
        // The transaction holds its connection, now without a socket: this
        // write finds none (upstream: a TypeError no caller can catch).
        await tx`select 2`;
      })
      .then(() => 'committed', (err: { code?: string }) => err.code);
    expect(outcome).toBe('CONNECTION_CLOSED');

    const [row] = await sql<{ one: number }[]>`select 1 as one`;
    expect(row!.one).toBe(1);
  });

  it('keeps no settled query through young-generation collections', { timeout: 60_000 }, async () => {
    const gc = exposedGc();
    sql = postgres(adminDatabaseUrl, { max: 1, onnotice: () => {} });
    const connection = await sql.reserve();
    for (let i = 0; i < 500; i++) await connection`select 1 as one`;
    // Rounds of queries one at a time, each after a full collection, then two young-generation
    // ones: what the old generation gained is what was promoted. Upstream, every round promoted
    // 930–1,000 bytes a query (each query with its promise and result); patched, 6–91.
    const perQuery: number[] = [];
    for (let round = 0; round < 8; round++) {
      gc();
      const before = oldSpaceUsed();
      for (let i = 0; i < 2_000; i++) await connection`select 1 as one`;
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      perQuery.push(Math.round((oldSpaceUsed() - before) / 2_000));
    }
    connection.release();
    expect(Math.max(...perQuery), `bytes promoted a query, by round: ${perQuery.join(', ')}`).toBeLessThan(400);
  });
});
