/**
 * POST /ingest with the no-stray-row check, for the files that fuzz it
 * (JSON bodies, CloudEvents): lanes of tenants of their own, so that each
 * lane can count its organizations' rows around every case.
 */
import { expect } from 'vitest';
import type { Sql } from '../../../shared/database.js';
import { createTenant, type TestTenant } from '../../support/tenants.js';
import { findLeak, isCodedError, isCodedErrorBody, post, type Json } from './answers.js';
import type { FuzzEnv } from './environment.js';
import type { Tally } from './tally.js';

/** A pair of tenants private to one concurrent lane of cases. */
export interface Lane {
  acme: TestTenant;
  globex: TestTenant;
  /** The lane's counts after its last case. */
  last?: LaneSnapshot;
  /** Ids of every event of the lane's organizations seen so far. */
  seen: Set<string>;
}

export async function makeLanes(env: FuzzEnv, count: number): Promise<Lane[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      acme: await createTenant(env.host.grpcAddress, `Acme ${i}`),
      globex: await createTenant(env.host.grpcAddress, `Globex ${i}`),
      seen: new Set<string>(),
    })),
  );
}

export interface StoredRow {
  id: string;
  org: string;
  quantity: string;
}

export interface IngestOutcome {
  status: number;
  text: string;
  json: Json;
  /** Ids answered as newly accepted (a 202 with duplicate=false, or array items `accepted`). */
  accepted: string[];
  /** Per item of the answer (one for a 202): the id, or undefined when rejected. */
  ids: Array<string | undefined>;
  /** The rows that appeared for the lane's organizations. */
  rows: StoredRow[];
}

interface LaneSnapshot {
  events: number;
  pending: number;
}

/**
 * POSTs one request to /ingest and checks what every answer must satisfy:
 * no 5xx, every error coded (per-item results too), no leak, and no stored
 * row from a rejected input: the lane's new rows (events and pending
 * aggregation rows) are exactly the accepted ids, of the caller's organization.
 */
export async function ingestChecked(
  env: FuzzEnv,
  lane: Lane,
  request: { headers: Record<string, string>; body: string; organizationId: string | undefined },
  tally: Tally,
): Promise<IngestOutcome> {
  const orgs = [lane.acme.organizationId, lane.globex.organizationId];
  const counts = (sql: Sql) => sql`
    (select count(*)::int from usage.usage_events where org_id = any(${orgs}::uuid[])) as events,
    (select coalesce(sum(cardinality(event_ids)), 0)::int from usage.pending_event_groups where org_id = any(${orgs}::uuid[])) as pending`;
  // The lane's requests run one at a time and its organizations are its own: the
  // snapshot taken after the previous case is this case's "before".
  const before = lane.last ?? (await env.db.sql<LaneSnapshot[]>`select ${counts(env.db.sql)}`)[0]!;
  const answer = await post(`${env.host.http}/ingest`, request.headers, request.body);
  // The lane's rows not seen after any earlier case (by id, not by time: a
  // row's received_at is its transaction's start, and comparing it with a
  // timestamp read on another connection leans on clocks agreeing to the
  // microsecond), and its counts.
  const [after] = await env.db.sql<Array<LaneSnapshot & { rows: StoredRow[] | null }>>`
    select ${counts(env.db.sql)},
      (select json_agg(json_build_object('id', id::text, 'org', org_id::text, 'quantity', trim_scale(quantity)::text))
       from usage.usage_events where org_id = any(${orgs}::uuid[]) and id <> all(${[...lane.seen]}::uuid[])) as rows`;
  const rows = after!.rows ?? [];
  for (const row of rows) lane.seen.add(row.id);
  lane.last = { events: after!.events, pending: after!.pending };
  tally.cases += 1;
  const what = `POST /ingest ${JSON.stringify(request.headers)} ${request.body.slice(0, 300)}\n→ ${answer.status} ${answer.text.slice(0, 600)}`;
  const json = answer.json as Json;

  if (answer.status >= 500) tally.fiveXx += 1;
  expect(answer.status, what).toBeLessThan(500);
  const leak = findLeak(answer.text, request.body);
  if (leak) tally.count('leaks');
  expect(leak, what).toBeUndefined();

  const accepted: string[] = [];
  let ids: Array<string | undefined> = [];
  if (answer.status >= 300) {
    if (!isCodedErrorBody(json)) tally.uncoded += 1;
    expect(isCodedErrorBody(json), what).toBe(true);
  } else if (answer.status === 202) {
    expect(json, what).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), duplicate: expect.any(Boolean) });
    if (!json.duplicate) accepted.push(json.id);
    ids = [json.id];
  } else {
    expect(answer.status, what).toBe(200);
    expect(Array.isArray(json?.results), what).toBe(true);
    for (const result of json.results as Json[]) {
      if (result.status === 'rejected') {
        if (!isCodedError(result.error)) tally.uncoded += 1;
        expect(isCodedError(result.error), `${what}\nitem ${JSON.stringify(result)}`).toBe(true);
        expect(result.id, what).toBeUndefined();
      } else {
        expect(['accepted', 'duplicate'], `${what}\nitem ${JSON.stringify(result)}`).toContain(result.status);
        expect(result.id, what).toMatch(/^[0-9a-f-]{36}$/);
        if (result.status === 'accepted') accepted.push(result.id);
      }
    }
    ids = (json.results as Json[]).map((result) => result.id);
  }

  // No stored row from a rejected input.
  const stray = rows.filter((row) => !accepted.includes(row.id)).length + Math.max(0, after!.events - before.events - accepted.length);
  tally.strayRows += stray;
  const rowsText = `${what}\nnew rows: ${JSON.stringify(rows)}`;
  expect(after!.events - before.events, rowsText).toBe(accepted.length);
  expect(after!.pending - before.pending, rowsText).toBe(accepted.length);
  expect(rows.map((row) => row.id).sort(), rowsText).toEqual([...accepted].sort());
  for (const row of rows) expect(row.org, rowsText).toBe(request.organizationId);
  tally.count('accepted', accepted.length);
  return { status: answer.status, text: answer.text, json, accepted, ids, rows };
}

/** After all lanes: every event row and pending row in the database is one that was answered as accepted. */
export async function expectNoStrayRowsAnywhere(env: FuzzEnv, acceptedTotal: number, tally: Tally): Promise<void> {
  const [row] = await env.db.sql<{ events: number; pending: number }[]>`
    select (select count(*)::int from usage.usage_events) as events, (select coalesce(sum(cardinality(event_ids)), 0)::int from usage.pending_event_groups) as pending`;
  tally.strayRows += Math.max(0, row!.events - acceptedTotal);
  expect(row).toEqual({ events: acceptedTotal, pending: acceptedTotal });
}
