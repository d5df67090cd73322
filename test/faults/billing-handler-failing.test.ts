/**
 * Fault: the billing handler fails for a while (its database refuses it).
 * Delivery retries the aggregate.updated events with backoff and delivers
 * them once billing recovers, so the draft invoice converges; a poison event
 * ends in the dead-letter stream.
 */
import { randomBytes } from 'node:crypto';
import { CloudEvent } from 'cloudevents';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { deadLetterStreamName } from '../../functions/event-plane/index.js';
import { EventType, newEvent } from '../../shared/events/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { rpcClient, setPlanRequest } from '../support/grpc.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { deleteStream, publishEvent } from '../support/nats.js';
import { createTenant } from '../support/tenants.js';
import { allMigrations } from '../../functions/migrations.js';

const suffix = randomBytes(4).toString('hex');
const role = `polaris_billing_${suffix}`;
let db: TestDatabase;
let host: TestHost;
let nc: NatsConnection;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`create role ${role} login`);
  for (const { schema } of allMigrations) {
    await db.sql.unsafe(`grant usage on schema ${schema} to ${role}; grant all on all tables in schema ${schema} to ${role}; grant all on all sequences in schema ${schema} to ${role}`);
  }
  const url = new URL(db.url);
  url.username = role;
  host = await startTestHost({ databaseUrl: url.toString(), delivery: { maxDeliver: 4, backoffMs: [500, 1000] } });
  nc = await connect({ servers: host.natsUrl });
  for (let i = 0; ; i++) {
    try {
      await host.eventPlane.ready();
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}, 60_000);

afterAll(async () => {
  await nc?.drain();
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await deleteStream(host.natsUrl, deadLetterStreamName(host.stream));
  await db?.sql.unsafe(`drop owned by ${role}; drop role if exists ${role}`).catch(() => {});
  await db?.drop();
});

/** The sum of a metric's samples on the host's `/metrics` whose labels include `labels`. */
async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${host.http}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
const billingLabels = 'function="on-aggregate-updated",type="dev.polaris.aggregate.updated"';
const attemptsOnBilling = async () =>
  (await metric('polaris_delivery_delivered_total', billingLabels)) + (await metric('polaris_delivery_failures_total', billingLabels));

describe('billing handler failing for a while', () => {
  it('gets its events again until it takes them; poison goes to the dead-letter stream', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const rpc = rpcClient(host.grpcAddress);
    await rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: tenant.organizationId, name: 'API', metric: 'api_calls', unitPrice: '1', freeQuota: '0' }));

    // Billing's database refuses it from now on.
    await db.sql.unsafe(`revoke all on all tables in schema billing from ${role}`);
    await fetch(`${host.http}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
      body: '{"metric":"api_calls","quantity":4}',
    });
    await host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: {} }));
    const deadline = Date.now() + 10_000;
    while ((await attemptsOnBilling()) < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await attemptsOnBilling()).toBeGreaterThanOrEqual(2);

    await db.sql.unsafe(`grant all on all tables in schema billing to ${role}`);
    let amount: string | undefined;
    while (amount !== '4.00' && Date.now() < deadline + 10_000) {
      amount = (await rpc.call(BillingRpc.listInvoices, { organizationId: tenant.organizationId })).invoices[0]?.amount;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(amount).toBe('4.00');

    // An event no retry can cure.
    const poison = newEvent(EventType.AggregateUpdated, '/test', { orgId: 'not-an-org', metric: 'x', periodStart: 'never', periodEnd: 'never', total: '1' });
    await publishEvent(nc.jetstream(), host.stream, poison);
    const jsm = await nc.jetstreamManager();
    let deadLetters = 0;
    for (let i = 0; i < 100 && deadLetters === 0; i++) {
      deadLetters = (await jsm.streams.info(deadLetterStreamName(host.stream)).catch(() => undefined))?.state.messages ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(deadLetters).toBe(1);
    const failures = await metric('polaris_delivery_failures_total');
    console.log(`faults: billing-handler-failing attempts=${await attemptsOnBilling()} failures=${failures} dead-lettered=${deadLetters} invoice=${amount}`);
    expect(await metric('polaris_delivery_dead_lettered_total')).toBe(1);
    rpc.close();
  }, 60_000);
});
