/**
 * The baselines for the HTTP figures: bare Fastify routes that parse the same
 * JSON bodies and answer what Polaris answers, doing no work. Run as its own
 * process, like Polaris, so both compete for the same cores.
 *
 *   POST /ingest          202 {"id","duplicate"}
 *   POST /ingest/durable  Polaris's answer once the events are committed (the durable floor, below)
 *   POST /graphql         200 with the shape of `{ me { id name } usage(metric) { total } invoices { id amount } }`
 *   POST /graphql/floor   the same, from two RPCs (the GraphQL floor, below)
 */
import Fastify from 'fastify';
import postgres from 'postgres';
import { concurrentWrites } from '../../functions/usage/domain/write-concurrency.js';
import { Batcher } from '../../shared/batcher.js';
import { uuidv7 } from '../../shared/uuid.js';
import { startFloorRpcs } from './floor-rpcs.js';

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/ingest', async (_request, reply) => reply.code(202).send({ id: '00000000-0000-7000-8000-000000000000', duplicate: false }));

/**
 * The durable floor: the least an ingest route that answers only once its
 * events are committed can do on this machine. It parses the body, gives each
 * event a UUIDv7, group-commits the events with Polaris's own batcher and
 * pool size, one statement each, into DURABLE_FLOOR_TABLE (a plain table
 * holding what usage_events and its keys hold) of FLOOR_DATABASE_URL (a
 * database of its own, so Polaris's commit counts stay its own), and answers
 * as Polaris does. No credentials, validation, limits, idempotency-key
 * replies, pending rows, outbox or relay: what it reaches bounds what any
 * durable ingest reaches here.
 */
interface FloorEvent {
  id: string;
  metric: string;
  quantity: string;
  idempotencyKey: string | null;
}
const floorDatabaseUrl = process.env.FLOOR_DATABASE_URL;
const floorTable = process.env.DURABLE_FLOOR_TABLE;
if (floorDatabaseUrl && floorTable) {
  // Polaris's own pool size under `npm start`, and its group commit's statements at once for it.
  const poolSize = 10;
  const sql = postgres(floorDatabaseUrl, { max: poolSize, onnotice: () => {} });
  const orgId = uuidv7();
  const batcher = new Batcher<FloorEvent, void>(
    async (events) => {
      await sql`
        insert into ${sql(floorTable)} (id, org_id, metric, quantity, occurred_at, idempotency_key)
        select id, ${orgId}::uuid, metric, quantity, now(), idempotency_key from unnest(
          ${events.map((e) => e.id)}::uuid[], ${events.map((e) => e.metric)}::text[],
          ${events.map((e) => e.quantity)}::numeric[], ${events.map((e) => e.idempotencyKey)}::text[]
        ) as t(id, metric, quantity, idempotency_key)
        on conflict do nothing`;
    },
    { maxItems: 2000, maxConcurrentFlushes: concurrentWrites(poolSize) },
  );
  app.post('/ingest/durable', async (request, reply) => {
    const body = request.body as { metric?: unknown; quantity?: unknown; idempotency_key?: unknown } | { metric?: unknown; quantity?: unknown; idempotency_key?: unknown }[];
    const events = (Array.isArray(body) ? body : [body]).map((event) => ({
      id: uuidv7(),
      metric: String(event.metric),
      quantity: String(event.quantity),
      idempotencyKey: typeof event.idempotency_key === 'string' ? event.idempotency_key : null,
    }));
    await batcher.submit(events);
    // Polaris's answers: 202 with the event's id, or 200 with each event's status and id.
    if (!Array.isArray(body)) return reply.code(202).send({ id: events[0]!.id, duplicate: false });
    return reply.code(200).send({ results: events.map((event) => ({ status: 'accepted', id: event.id })) });
  });
}

const dashboard = {
  data: {
    me: { id: '01900000-0000-7000-8000-000000000000', name: 'Bench draft' },
    usage: [{ total: 50 }],
    invoices: [{ id: '01900000-0000-7000-8000-000000000001', amount: '50.00' }],
  },
};
app.post('/graphql', async (request, reply) => {
  // Read the query as the gateway must, then answer the canned result.
  if (typeof (request.body as { query?: unknown } | undefined)?.query !== 'string') return reply.code(400).send({ errors: [{ message: 'query' }] });
  return reply.send(dashboard);
});

/**
 * The GraphQL floor: the dashboard query's answer from two gRPC calls at once
 * to RPCs on a thread of this process (scripts/bench/floor-rpcs.ts), each one
 * PostgreSQL round trip, as Polaris's gateway asks Usage and Billing. No
 * GraphQL parsing or execution, credentials or limits.
 */
if (floorDatabaseUrl && process.env.FLOOR_GRPC_PORT) {
  const rpcs = await startFloorRpcs(Number(process.env.FLOOR_GRPC_PORT), floorDatabaseUrl);
  const organizationId = uuidv7();
  app.post('/graphql/floor', async (request, reply) => {
    if (typeof (request.body as { query?: unknown } | undefined)?.query !== 'string') return reply.code(400).send({ errors: [{ message: 'query' }] });
    const [usage, { invoices }] = await Promise.all([rpcs.usage({ organizationId }), rpcs.invoices({ organizationId })]);
    return reply.send({ data: { me: dashboard.data.me, usage: [{ total: Number(usage.total) }], invoices } });
  });
}

await app.listen({ port: Number(process.env.PORT ?? 8099), host: '127.0.0.1' });
console.log('baseline ready');
