/**
 * What every part of the bench shares: the running Polaris (`npm start` on a
 * database of its own), the baseline server, a SQL client on Polaris's
 * database, and the few things the bench does to Polaris the way users do
 * (GraphQL, the aggregation CloudEvent).
 */
import * as grpc from '@grpc/grpc-js';
import { connect } from 'nats';
import type { Sql } from 'postgres';
import { requestAggregationRun } from '../polaris/aggregation-request.js';
import type { Results } from './report.js';
import type { CpuSplit } from './cpu.js';
import { sleep } from './processes.js';

export interface BenchSettings {
  durationSeconds: number;
  /** Loads against a baseline alternate this many times (BENCH_ROUNDS), so noise falls on both alike. */
  rounds: number;
  aggregationEvents: number;
  historyEvents: number;
  summaryEvents: number;
  summaryRequests: number;
  draftRepeats: number;
  graphqlRate: number;
  /** CheckEntitlement calls a second (BENCH_ENTITLEMENT_RATE). */
  entitlementRate: number;
  coldStartSpawns: number;
  /** Events each webhook load sends in all its rounds (BENCH_WEBHOOK_EVENTS). */
  webhookEvents: number;
}

export interface Bench {
  settings: BenchSettings;
  results: Results;
  /** http://127.0.0.1:<port> of Polaris's HTTP functions. */
  polaris: string;
  grpcAddress: string;
  /** http://127.0.0.1:<port> of the bare Fastify baseline. */
  baseline: string;
  adminToken: string;
  databaseUrl: string;
  natsUrl: string;
  stream: string;
  subjectPrefix: string;
  /** Polaris's database, for fills and checks (max a few connections). */
  sql: Sql;
  pids: { polaris: number; baseline: number };
  /** Starts a CPU measurement over this run's processes. */
  cpu(): () => CpuSplit;
}

export interface Tenant {
  organizationId: string;
  apiKey: string;
}

export async function graphql<T = Record<string, unknown>>(
  bench: Bench,
  query: string,
  options: { variables?: Record<string, unknown>; apiKey?: string; admin?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey) headers['x-api-key'] = options.apiKey;
  if (options.admin) headers.authorization = `Bearer ${bench.adminToken}`;
  const response = await fetch(`${bench.polaris}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables: options.variables }) });
  const body = (await response.json()) as { data?: T; errors?: Array<{ message: string }> };
  if (!response.ok || body.errors || !body.data) throw new Error(`GraphQL ${response.status}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  return body.data;
}

/**
 * A gRPC client on Polaris's gRPC port, as other functions call it, with the
 * operator token (CreateMeter needs it). Answers may be large (a month of
 * days by 1,000 groups), so the receive limit is lifted.
 */
export function rpcClient(bench: Bench) {
  const client = new grpc.Client(bench.grpcAddress, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
  return {
    call<Req, Res>(method: grpc.MethodDefinition<Req, Res>, request: Req): Promise<Res> {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${bench.adminToken}`);
      return new Promise((resolve, reject) =>
        client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, (err, response) =>
          err ? reject(err) : resolve(response!),
        ),
      );
    },
    close: () => client.close(),
  };
}

/** A new organization and its API key; with a plan for `api_calls` at 1 USD a call and no free quota when asked. */
export async function createTenant(bench: Bench, name: string, options: { plan?: boolean } = {}): Promise<Tenant> {
  const { createOrganization } = await graphql<{ createOrganization: { organization: { id: string }; apiKey: string } }>(
    bench,
    'mutation($n: String!) { createOrganization(name: $n) { organization { id } apiKey } }',
    { variables: { n: name }, admin: true },
  );
  const tenant = { organizationId: createOrganization.organization.id, apiKey: createOrganization.apiKey };
  if (options.plan) {
    await graphql(
      bench,
      'mutation($o: ID!) { setPlan(organizationId: $o, name: "API calls", metric: "api_calls", unitPrice: "1", freeQuota: 0) { id } }',
      { variables: { o: tenant.organizationId }, admin: true },
    );
  }
  return tenant;
}

/**
 * Asks for an aggregation run, as the CronJob and `npm run polaris --
 * aggregate` do; Polaris answers once the run is over. Resolves with the
 * milliseconds it took.
 */
export async function requestAggregation(bench: Bench, orgId?: string): Promise<number> {
  const started = performance.now();
  const { status, text } = await requestAggregationRun(bench.polaris, { source: '/bench', orgId });
  const elapsed = performance.now() - started;
  if (status !== 202) throw new Error(`aggregation request answered ${status}: ${text.slice(0, 300)}`);
  return elapsed;
}

/** Rows waiting in every outbox of Polaris's database. */
export async function outboxBacklog(bench: Bench): Promise<number> {
  const schemas = await bench.sql<{ schema: string }[]>`
    select table_schema as schema from information_schema.tables where table_name = 'outbox'`;
  let total = 0;
  for (const { schema } of schemas) {
    const [row] = await bench.sql<{ count: number }[]>`select count(*)::int as count from ${bench.sql(schema)}.outbox`;
    total += row?.count ?? 0;
  }
  return total;
}

/** Messages JetStream still has to deliver to the event functions (pending plus unacknowledged). */
export async function deliveryBacklog(bench: Bench): Promise<number> {
  const nc = await connect({ servers: bench.natsUrl, timeout: 2000 });
  try {
    const jsm = await nc.jetstreamManager();
    let total = 0;
    for await (const consumer of jsm.consumers.list(bench.stream)) total += consumer.num_pending + consumer.num_ack_pending;
    return total;
  } catch {
    return 0;
  } finally {
    await nc.close();
  }
}

/**
 * Waits until what the previous measurement left behind (outbox rows, events
 * on their way to billing) is done, so it does not weigh on the next one.
 * Resolves with the seconds it took and where the CPU went meanwhile.
 */
export async function settle(bench: Bench, timeoutMs = 180_000): Promise<{ seconds: number; cpu: CpuSplit; timedOut: boolean }> {
  const started = performance.now();
  const cpu = bench.cpu();
  let quietChecks = 0;
  for (;;) {
    const backlog = (await outboxBacklog(bench)) + (await deliveryBacklog(bench));
    quietChecks = backlog === 0 ? quietChecks + 1 : 0;
    // Twice in a row: a relay pass or a delivery in flight shows up in between.
    if (quietChecks >= 2) return { seconds: (performance.now() - started) / 1000, cpu: cpu(), timedOut: false };
    if (performance.now() - started > timeoutMs) return { seconds: (performance.now() - started) / 1000, cpu: cpu(), timedOut: true };
    await sleep(200);
  }
}


/** Messages on the stream with CloudEvent type `type`. */
export async function subjectMessages(bench: Bench, type: string): Promise<number> {
  const nc = await connect({ servers: bench.natsUrl, timeout: 2000 });
  try {
    const subject = `${bench.subjectPrefix}.${type}`;
    const info = await (await nc.jetstreamManager()).streams.info(bench.stream, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  } catch {
    return 0;
  } finally {
    await nc.close();
  }
}

/** Deletes a JetStream stream (and its consumers); quiet when it is gone already. */
export async function deleteStream(natsUrl: string, stream: string): Promise<void> {
  try {
    const nc = await connect({ servers: natsUrl, timeout: 2000 });
    try {
      await (await nc.jetstreamManager()).streams.delete(stream);
    } catch {
      // not there
    } finally {
      await nc.close();
    }
  } catch {
    // NATS is gone
  }
}

/** Sum and count of a Prometheus histogram on Polaris's /metrics, over the series whose labels contain `filter`. */
export async function histogram(bench: Bench, name: string, filter = ''): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${bench.polaris}/metrics`)).text();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.includes(filter)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith(`${name}_sum`)) sum += value;
    else if (line.startsWith(`${name}_count`)) count += value;
  }
  return { sum, count };
}

/** Mean milliseconds of the observations between two readings of a histogram. */
export function meanMs(before: { sum: number; count: number }, after: { sum: number; count: number }): number {
  const count = after.count - before.count;
  return count > 0 ? Math.round(((after.sum - before.sum) / count) * 10_000) / 10 : Number.NaN;
}

/**
 * Creates `public.<name>`, a plain table holding usage events the least
 * PostgreSQL can while counting each key once: usage_events' columns, its
 * primary key and time index, and the idempotency key unique per
 * organization in the same table. The baseline for ingest's own writes.
 */
export async function createEventsBaselineTable(sql: Sql, name: string): Promise<void> {
  await sql.unsafe(`
    create table public.${name} (like usage.usage_events including defaults including constraints);
    alter table public.${name} add primary key (id);
    create unique index on public.${name} (org_id, idempotency_key) where idempotency_key is not null;
    create index on public.${name} (org_id, occurred_at);`);
}
