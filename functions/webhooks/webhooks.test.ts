/**
 * Webhooks end to end, over the real services, PostgreSQL, NATS and HTTP
 * receivers started here: signatures that the standardwebhooks verifier
 * accepts, fan-out by organization, retries with the same webhook-id until a
 * receiver is back, the attempts log, redelivery, disabling, SSRF refusals,
 * bad input and who may do what.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { CloudEvent } from 'cloudevents';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhooksService } from '../../proto/gen/polaris/webhooks/v1/webhooks.js';
import { EventType, newEvent } from '../../shared/events/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { codes, dataOf, graphqlAt, operator, type Credentials, type Graphql, type Json } from '../../test/support/graphql.js';
import { grpcError, rpcClient } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';
import { functionRegistry } from '../registry.js';
import { defaultRetryDelaysMs, deliverableEventTypes, retryDelayMs } from './domain/index.js';

/** One request a receiver got. */
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** An HTTP receiver on 127.0.0.1 that answers `status` (changeable) and keeps every request. */
class Receiver {
  readonly received: Received[] = [];
  status = 200;
  answer = 'ok';
  private server?: Server;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk));
      request.on('end', () => {
        this.received.push({ headers: request.headers, body, status: this.status });
        response.writeHead(this.status, { 'content-type': 'text/plain' }).end(this.answer);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Requests answered 2xx. */
  get delivered(): Received[] {
    return this.received.filter((r) => r.status < 300);
  }
}

const receivers: Receiver[] = [];
const receiver = async (port?: number) => {
  const made = await new Receiver().start(port);
  receivers.push(made);
  return made;
};

async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

let db: TestDatabase;
let host: TestHost;
let graphql: Graphql;
const logLines: string[] = [];
/** Every signing secret an answer showed, to look for everywhere else. */
const secretsShown: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // The receivers are on this machine; events flow outbox → JetStream → functions as in npm start.
  host = await startTestHost({
    databaseUrl: db.url,
    env: { POLARIS_WEBHOOK_ALLOW_PRIVATE: 'true', POLARIS_WEBHOOK_TIMEOUT_MS: '2000' },
    delivery: { maxDeliver: 5, backoffMs: [200] },
    logLines,
  });
  graphql = graphqlAt(host.http);
}, 120_000);

afterAll(async () => {
  for (const r of receivers) await r.stop();
  await host?.close();
  if (host) await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

const endpointFields = 'id url eventTypes enabled organizationId description createdAt failingSince disabledAt';
const messageFields = 'id endpointId eventId eventType status createdAt deliveredAt nextAttemptAt payload attempts { attemptedAt statusCode error latencyMs responseExcerpt trigger }';

async function createEndpoint(url: string, eventTypes: string[], credentials: Credentials, organizationId?: string): Promise<{ id: string; secret: string; organizationId: string | null }> {
  const { createWebhookEndpoint } = dataOf(
    await graphql(
      `mutation($u: String!, $t: [String!]!, $o: ID) { createWebhookEndpoint(url: $u, eventTypes: $t, organizationId: $o) { endpoint { ${endpointFields} } secret } }`,
      { u: url, t: eventTypes, o: organizationId },
      credentials,
    ),
  );
  secretsShown.push(createWebhookEndpoint.secret);
  return { id: createWebhookEndpoint.endpoint.id, secret: createWebhookEndpoint.secret, organizationId: createWebhookEndpoint.endpoint.organizationId };
}

async function deliveries(endpointId: string, credentials: Credentials = operator): Promise<Json[]> {
  return dataOf(await graphql(`query($e: ID!) { webhookDeliveries(endpointId: $e) { ${messageFields} } }`, { e: endpointId }, credentials)).webhookDeliveries;
}

async function endpointOf(id: string): Promise<Json> {
  const { webhookEndpoints } = dataOf(await graphql(`{ webhookEndpoints { ${endpointFields} } }`, {}, operator));
  return webhookEndpoints.find((endpoint: Json) => endpoint.id === id);
}

let invoiceSeq = 0;
/** An invoice event of the organization, as billing emits it. */
function invoiceEvent(orgId: string, type: EventType = EventType.InvoiceUpdated): CloudEvent<unknown> {
  invoiceSeq += 1;
  return newEvent(
    type as typeof EventType.InvoiceUpdated,
    '/polaris/billing',
    {
      orgId,
      invoiceId: `00000000-0000-4000-8000-${String(invoiceSeq).padStart(12, '0')}`,
      status: 'draft',
      amount: `${invoiceSeq}.00`,
      periodStart: '2026-01-01T00:00:00.000Z',
      periodEnd: '2026-02-01T00:00:00.000Z',
    },
    { subject: orgId },
  );
}

const deliveryDue = () => host.dispatch(newEvent(EventType.WebhooksDeliveryDue, '/test/scheduler', {}));

/**
 * Makes every pending message of the endpoint due, as if its delay had passed
 * a second ago: the run compares with Node's clock in whole milliseconds, and
 * PostgreSQL's now() in microseconds may be later within the same millisecond.
 */
async function makeDue(endpointId: string): Promise<void> {
  await db.sql`update webhooks.messages set next_attempt_at = now() - interval '1 second' where endpoint_id = ${endpointId} and status = 'pending'`;
}

/** Verifies a request as a receiver would, with the standardwebhooks package; answers the event. */
function verified(request: Received, secret: string): Json {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });
}

describe('the retry schedule', () => {
  it('retries within a minute first, and for more than 24 hours in all, then stops', () => {
    expect(retryDelayMs(1)).toBe(5_000);
    expect(retryDelayMs(2)).toBe(60_000);
    expect(defaultRetryDelaysMs.slice(0, 1).every((ms) => ms <= 60_000)).toBe(true);
    expect(defaultRetryDelaysMs.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThan(24 * 3_600_000);
    expect(retryDelayMs(defaultRetryDelaysMs.length + 1)).toBeUndefined();
  });

  it('is subscribed to every type an endpoint may receive, every invoice event among them', () => {
    const fanOut = functionRegistry.find((entry) => entry.name === 'fan-out-webhooks')!;
    expect([...fanOut.subscribes].sort()).toEqual([...deliverableEventTypes].sort());
    for (const type of Object.values(EventType).filter((type) => type.startsWith('dev.polaris.invoice.'))) expect(fanOut.subscribes).toContain(type);
  });
});

describe('delivery', () => {
  it("sends an invoice event to its organization's endpoints and the operator's, signed, and not to another organization's", async () => {
    const acme = await createTenant(host.grpcAddress, 'Acme');
    const globex = await createTenant(host.grpcAddress, 'Globex');
    const [acmeReceiver, globexReceiver, operatorReceiver] = [await receiver(), await receiver(), await receiver()];
    const acmeEndpoint = await createEndpoint(acmeReceiver.url, ['dev.polaris.invoice.*'], { apiKey: acme.apiKey });
    expect(acmeEndpoint.organizationId).toBe(acme.organizationId);
    const globexEndpoint = await createEndpoint(globexReceiver.url, ['dev.polaris.invoice.*'], { apiKey: globex.apiKey });
    const operatorEndpoint = await createEndpoint(operatorReceiver.url, ['dev.polaris.invoice.created', 'dev.polaris.invoice.updated'], operator);
    expect(operatorEndpoint.organizationId).toBeNull();

    // A real invoice: billing's events go through its outbox and JetStream to the fan-out.
    const { generateInvoice } = dataOf(
      await graphql('mutation($o: ID!) { generateInvoice(organizationId: $o, periodStart: "2026-01-01", periodEnd: "2026-02-01") { id } }', { o: acme.organizationId }, operator),
    );
    await eventually(() => {
      expect(acmeReceiver.delivered.map((r) => JSON.parse(r.body).type).sort()).toEqual(['dev.polaris.invoice.created', 'dev.polaris.invoice.updated']);
      expect(operatorReceiver.delivered).toHaveLength(2);
    });
    for (const [request, secret] of [...acmeReceiver.received.map((r) => [r, acmeEndpoint.secret] as const), ...operatorReceiver.received.map((r) => [r, operatorEndpoint.secret] as const)]) {
      const event = verified(request, secret);
      expect(event).toMatchObject({ specversion: '1.0', source: '/polaris/billing', data: { orgId: acme.organizationId, invoiceId: generateInvoice.id } });
      expect(request.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(request.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
      // Signed with the endpoint's own secret, not another's.
      expect(() => verified(request, secret === acmeEndpoint.secret ? operatorEndpoint.secret : acmeEndpoint.secret)).toThrow();
    }
    // Each endpoint's message of one event has its own webhook-id.
    expect(new Set([...acmeReceiver.received, ...operatorReceiver.received].map((r) => r.headers['webhook-id'])).size).toBe(4);

    // Globex's invoice reaches Globex and the operator, never Acme.
    await host.dispatch(invoiceEvent(globex.organizationId));
    await eventually(() => expect(globexReceiver.delivered).toHaveLength(1));
    expect(verified(globexReceiver.received[0]!, globexEndpoint.secret).data.orgId).toBe(globex.organizationId);
    expect(acmeReceiver.received).toHaveLength(2);
    expect(operatorReceiver.delivered).toHaveLength(3);

    // A type the endpoint did not choose is not sent to it.
    await host.dispatch(invoiceEvent(globex.organizationId, EventType.InvoiceFinalized));
    await eventually(() => expect(globexReceiver.delivered).toHaveLength(2));
    expect(operatorReceiver.received).toHaveLength(3);

    for (const endpoint of [acmeEndpoint, globexEndpoint, operatorEndpoint]) {
      dataOf(await graphql('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: endpoint.id }, operator));
    }
  });

  it('makes one message of an event delivered to the fan-out twice', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Twice');
    const r = await receiver();
    const endpoint = await createEndpoint(r.url, ['dev.polaris.invoice.updated'], operator, tenant.organizationId);
    const event = invoiceEvent(tenant.organizationId);
    await host.dispatch(event);
    await host.dispatch(event);
    expect(r.received).toHaveLength(1);
    expect(await deliveries(endpoint.id)).toHaveLength(1);
  });

  it('retries a receiver that answers 500, then is down, until it is back: every event arrives, each with the same webhook-id on every attempt', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Flaky');
    const r = await receiver();
    r.status = 500;
    r.answer = '{"error":"database is down"}';
    const endpoint = await createEndpoint(r.url, ['dev.polaris.invoice.*'], operator, tenant.organizationId);
    const events = [invoiceEvent(tenant.organizationId), invoiceEvent(tenant.organizationId), invoiceEvent(tenant.organizationId)];
    const sent = Date.now();
    for (const event of events) await host.dispatch(event);
    expect(r.received.map((request) => request.status)).toEqual([500, 500, 500]);

    // Each is tried again 5 s after its first attempt; nothing is due before.
    const pending = await db.sql<{ attempts: number; nextAttemptAt: Date; status: string }[]>`
      select attempts, next_attempt_at, status from webhooks.messages where endpoint_id = ${endpoint.id}`;
    for (const message of pending) {
      expect(message).toMatchObject({ attempts: 1, status: 'pending' });
      expect(message.nextAttemptAt.getTime() - sent).toBeGreaterThanOrEqual(4_000);
      expect(message.nextAttemptAt.getTime() - Date.now()).toBeLessThanOrEqual(5_500);
    }
    await deliveryDue();
    expect(r.received).toHaveLength(3);

    // Due, still failing: the run tries one, and the others wait as long as it does (a minute, the next delay).
    await makeDue(endpoint.id);
    await deliveryDue();
    expect(r.received).toHaveLength(4);
    const afterSecond = await db.sql<{ attempts: number; nextAttemptAt: Date }[]>`
      select attempts, next_attempt_at from webhooks.messages where endpoint_id = ${endpoint.id} order by attempts desc`;
    expect(afterSecond.map((m) => m.attempts)).toEqual([2, 1, 1]);
    for (const message of afterSecond) expect(message.nextAttemptAt.getTime() - Date.now()).toBeGreaterThan(50_000);

    // Down: nothing listens on its port.
    await r.stop();
    await makeDue(endpoint.id);
    await deliveryDue();
    const refused = (await deliveries(endpoint.id)).flatMap((message: Json) => message.attempts).filter((attempt: Json) => attempt.error === 'refused');
    expect(refused).toHaveLength(1);
    expect(refused[0].statusCode).toBeNull();

    // Back, on the same port, and answering.
    const back = await receiver(r.port);
    await makeDue(endpoint.id);
    await deliveryDue();
    expect(back.delivered).toHaveLength(3);
    const allRequests = [...r.received, ...back.received];
    for (const event of events) {
      const forEvent = allRequests.filter((request) => JSON.parse(request.body).id === event.id);
      expect(new Set(forEvent.map((request) => request.headers['webhook-id'])).size).toBe(1);
      expect(forEvent.filter((request) => request.status === 200)).toHaveLength(1);
      for (const request of forEvent) expect(verified(request, endpoint.secret).id).toBe(event.id);
    }

    // The attempts log: statuses, errors, latency, what the receiver said, and why each was made.
    const log = await deliveries(endpoint.id);
    expect(log).toHaveLength(3);
    for (const message of log) {
      expect(message.status).toBe('DELIVERED');
      expect(message.deliveredAt).not.toBeNull();
      expect(message.nextAttemptAt).toBeNull();
      expect(message.attempts[0]).toMatchObject({ statusCode: 500, error: 'http_status', responseExcerpt: '{"error":"database is down"}', trigger: 'event' });
      expect(message.attempts.at(-1)).toMatchObject({ statusCode: 200, error: null, responseExcerpt: 'ok', trigger: 'retry' });
      for (const attempt of message.attempts) expect(attempt.latencyMs).toBeGreaterThanOrEqual(0);
      expect(JSON.parse(message.payload).id).toBe(message.eventId);
    }
    expect((await endpointOf(endpoint.id)).failingSince).toBeNull();
  });

  it('redelivers a message on request, with the same webhook-id', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Again');
    const r = await receiver();
    const endpoint = await createEndpoint(r.url, ['dev.polaris.invoice.*'], operator, tenant.organizationId);
    await host.dispatch(invoiceEvent(tenant.organizationId));
    const [message] = await deliveries(endpoint.id);
    r.status = 503;
    const { redeliverWebhook } = dataOf(await graphql(`mutation($m: ID!) { redeliverWebhook(messageId: $m) { ${messageFields} } }`, { m: message.id }, { apiKey: tenant.apiKey }));
    // A failed manual attempt is logged; the message stays delivered.
    expect(redeliverWebhook).toMatchObject({ id: message.id, status: 'DELIVERED' });
    expect(redeliverWebhook.attempts.map((a: Json) => [a.trigger, a.statusCode])).toEqual([
      ['event', 200],
      ['manual', 503],
    ]);
    r.status = 200;
    const again = dataOf(await graphql(`mutation($m: ID!) { redeliverWebhook(messageId: $m) { ${messageFields} } }`, { m: message.id }, operator)).redeliverWebhook;
    expect(again.attempts.at(-1)).toMatchObject({ trigger: 'manual', statusCode: 200 });
    expect(r.received.map((request) => request.headers['webhook-id'])).toEqual([message.id, message.id, message.id]);
    for (const request of r.received) verified(request, endpoint.secret);
  });

  it('signs with the new secret after a rotation, and with the previous one too for a day', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Rotating');
    const r = await receiver();
    const endpoint = await createEndpoint(r.url, ['dev.polaris.invoice.*'], { apiKey: tenant.apiKey });
    const { rotateWebhookSecret } = dataOf(await graphql('mutation($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { id } secret } }', { id: endpoint.id }, { apiKey: tenant.apiKey }));
    secretsShown.push(rotateWebhookSecret.secret);
    expect(rotateWebhookSecret.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(rotateWebhookSecret.secret).not.toBe(endpoint.secret);
    await host.dispatch(invoiceEvent(tenant.organizationId));
    const [request] = r.received;
    expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    verified(request!, rotateWebhookSecret.secret);
    verified(request!, endpoint.secret);
    expect(() => verified(request!, `whsec_${Buffer.alloc(32, 7).toString('base64')}`)).toThrow();
  });

  it('disables an endpoint that fails past the window, and says so in a dev.polaris.webhook.endpoint.disabled event', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Failing');
    const failing = await receiver();
    failing.status = 500;
    const watcher = await receiver();
    const endpoint = await createEndpoint(failing.url, ['dev.polaris.invoice.*'], operator, tenant.organizationId);
    // The organization's own endpoint for the disabled event.
    const told = await createEndpoint(watcher.url, ['dev.polaris.webhook.endpoint.disabled'], { apiKey: tenant.apiKey });
    await host.dispatch(invoiceEvent(tenant.organizationId));
    await host.dispatch(invoiceEvent(tenant.organizationId));
    const failingSince = (await endpointOf(endpoint.id)).failingSince;
    expect(failingSince).not.toBeNull();
    expect((await endpointOf(endpoint.id)).enabled).toBe(true);

    // Failing for longer than POLARIS_WEBHOOK_DISABLE_AFTER_HOURS (120): the next failure disables it.
    await db.sql`update webhooks.endpoints set failing_since = now() - interval '121 hours' where id = ${endpoint.id}`;
    await makeDue(endpoint.id);
    await deliveryDue();
    const disabled = await endpointOf(endpoint.id);
    expect(disabled).toMatchObject({ enabled: false, disabledAt: expect.any(String) });
    expect((await deliveries(endpoint.id)).map((m: Json) => m.status)).toEqual(['FAILED', 'FAILED']);

    // The event leaves through the outbox and JetStream, and reaches the organization's endpoint for it.
    await eventually(() => expect(watcher.delivered).toHaveLength(1));
    const event = verified(watcher.received[0]!, told.secret);
    expect(event).toMatchObject({ type: 'dev.polaris.webhook.endpoint.disabled', data: { orgId: tenant.organizationId, endpointId: endpoint.id, url: failing.url } });
    expect(new Date(event.data.failingSince).getTime()).toBeLessThan(Date.now() - 120 * 3_600_000);

    // Disabled, it gets nothing; enabled again, it starts afresh.
    const before = failing.received.length;
    await host.dispatch(invoiceEvent(tenant.organizationId));
    expect(failing.received).toHaveLength(before);
    const { updateWebhookEndpoint } = dataOf(
      await graphql(`mutation($id: ID!) { updateWebhookEndpoint(id: $id, enabled: true) { ${endpointFields} } }`, { id: endpoint.id }, { apiKey: tenant.apiKey }),
    );
    expect(updateWebhookEndpoint).toMatchObject({ enabled: true, failingSince: null, disabledAt: null });
  });
});

describe('SSRF', () => {
  let guarded: TestHost;
  let guardedGraphql: Graphql;

  beforeAll(async () => {
    // The same database, without POLARIS_WEBHOOK_ALLOW_PRIVATE: as in production.
    guarded = await startTestHost({ databaseUrl: db.url });
    guardedGraphql = graphqlAt(guarded.http);
  });

  afterAll(async () => {
    await guarded?.close();
    if (guarded) await deleteStream(guarded.natsUrl, guarded.stream.stream);
  });

  it('refuses to create an endpoint at a literal internal address, naming the url', async () => {
    for (const url of ['http://127.0.0.1:8080/hooks', 'http://10.1.2.3/hooks', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/hooks', 'https://[::ffff:7f00:1]/hooks', 'http://0x7f000001/', 'http://192.168.0.10/']) {
      const answer = await guardedGraphql('mutation($u: String!) { createWebhookEndpoint(url: $u, eventTypes: ["dev.polaris.invoice.*"]) { secret } }', { u: url }, operator);
      expect(codes(answer.body), url).toEqual(['BAD_USER_INPUT']);
      expect(answer.body.errors[0].extensions.fields.map((f: Json) => f.field), url).toEqual(['url']);
    }
    // A name is checked when a delivery resolves it, not now: creating needs no network.
    const named = dataOf(await guardedGraphql('mutation { createWebhookEndpoint(url: "https://example.com/hooks", eventTypes: ["dev.polaris.invoice.*"]) { endpoint { id } } }', {}, operator));
    dataOf(await guardedGraphql('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: named.createWebhookEndpoint.endpoint.id }, operator));
  });

  it('refuses to deliver to internal addresses, names resolving to them included, as failed attempts', async () => {
    const tenant = await createTenant(guarded.grpcAddress, 'Inside');
    const local = await receiver();
    // Made while private targets were allowed (the other host), delivered now that they are not.
    const urls = [local.url, `http://[::1]:${local.port}/hooks`, `http://localhost:${local.port}/hooks`, 'http://10.0.0.1/hooks', 'http://169.254.169.254/latest/meta-data/'];
    const endpoints = [];
    for (const url of urls) endpoints.push(await createEndpoint(url, ['dev.polaris.invoice.*'], operator, tenant.organizationId));
    await guarded.dispatch(invoiceEvent(tenant.organizationId));
    expect(local.received).toEqual([]);
    for (const endpoint of endpoints) {
      const [message] = await deliveries(endpoint.id);
      expect(message.status).toBe('PENDING');
      expect(message.attempts).toEqual([expect.objectContaining({ error: 'ssrf_blocked', statusCode: null, responseExcerpt: '', trigger: 'event' })]);
    }
    for (const endpoint of endpoints) dataOf(await graphql('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: endpoint.id }, operator));
  });
});

describe('without POLARIS_WEBHOOK_SECRET_KEY', () => {
  let keyless: TestHost;

  beforeAll(async () => {
    keyless = await startTestHost({ databaseUrl: db.url, env: { POLARIS_WEBHOOK_SECRET_KEY: '', POLARIS_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  });

  afterAll(async () => {
    await keyless?.close();
    if (keyless) await deleteStream(keyless.natsUrl, keyless.stream.stream);
  });

  it('makes no endpoint, and keeps messages unsent until a process with the key sends them', async () => {
    const answer = await graphqlAt(keyless.http)('mutation { createWebhookEndpoint(url: "https://example.com/hooks", eventTypes: ["dev.polaris.invoice.*"]) { secret } }', {}, operator);
    expect(codes(answer.body)).toEqual(['INTERNAL']);
    expect(answer.body.errors[0].message).toContain('POLARIS_WEBHOOK_SECRET_KEY is not set');

    const tenant = await createTenant(host.grpcAddress, 'Keyless');
    const r = await receiver();
    const endpoint = await createEndpoint(r.url, ['dev.polaris.invoice.*'], operator, tenant.organizationId);
    await keyless.dispatch(invoiceEvent(tenant.organizationId));
    await expect(keyless.dispatch(newEvent(EventType.WebhooksDeliveryDue, '/test/scheduler', {}))).rejects.toThrow(/POLARIS_WEBHOOK_SECRET_KEY/);
    expect(r.received).toEqual([]);
    expect((await deliveries(endpoint.id)).map((m: Json) => [m.status, m.attempts.length])).toEqual([['PENDING', 0]]);
    await deliveryDue();
    expect(r.delivered).toHaveLength(1);
    verified(r.received[0]!, endpoint.secret);
  });
});

describe('with another POLARIS_WEBHOOK_SECRET_KEY', () => {
  it('records attempts as signing_failed, sending nothing, until the secret is rotated under the new key', async () => {
    const rekeyed = await startTestHost({ databaseUrl: db.url, env: { POLARIS_WEBHOOK_SECRET_KEY: 'another-webhook-secret-key-0123456789abcdef', POLARIS_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    try {
      const tenant = await createTenant(host.grpcAddress, 'Rekeyed');
      const r = await receiver();
      const endpoint = await createEndpoint(r.url, ['dev.polaris.invoice.*'], operator, tenant.organizationId);
      await rekeyed.dispatch(invoiceEvent(tenant.organizationId));
      expect(r.received).toEqual([]);
      const [message] = await deliveries(endpoint.id);
      expect(message).toMatchObject({ status: 'PENDING', attempts: [expect.objectContaining({ error: 'signing_failed', statusCode: null })] });
      const rotated = dataOf(await graphqlAt(rekeyed.http)('mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', { id: endpoint.id }, operator)).rotateWebhookSecret.secret;
      secretsShown.push(rotated);
      const redelivered = dataOf(await graphqlAt(rekeyed.http)('mutation($m: ID!) { redeliverWebhook(messageId: $m) { status } }', { m: message.id }, operator)).redeliverWebhook;
      expect(redelivered.status).toBe('DELIVERED');
      // The rotated-out secret no longer opens under the new key, so only the new one signs.
      expect(String(r.received[0]!.headers['webhook-signature']).split(' ')).toHaveLength(1);
      verified(r.received[0]!, rotated);
    } finally {
      await rekeyed.close();
      await deleteStream(rekeyed.natsUrl, rekeyed.stream.stream);
    }
  });
});

describe('the API', () => {
  it('names the argument at fault, in GraphQL and gRPC', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Careless');
    const bad = async (query: string, variables: object, fields: string[]) => {
      const answer = await graphql(query, variables, { apiKey: tenant.apiKey });
      expect(codes(answer.body), query).toEqual(['BAD_USER_INPUT']);
      expect(answer.body.errors[0].extensions.fields.map((f: Json) => f.field).sort(), query).toEqual(fields.sort());
      expect(answer.status).toBeLessThan(500);
    };
    await bad('mutation { createWebhookEndpoint(url: "ftp://example.com", eventTypes: ["dev.polaris.usage.recorded", "dev.polaris.invoice.*"]) { secret } }', {}, ['url', 'eventTypes[0]']);
    await bad('mutation { createWebhookEndpoint(url: "https://user:pw@example.com/", eventTypes: []) { secret } }', {}, ['url', 'eventTypes']);
    await bad(`mutation($d: String) { createWebhookEndpoint(url: "not a url", eventTypes: ["dev.polaris.invoice.*"], description: $d) { secret } }`, { d: 'x'.repeat(501) }, ['url', 'description']);
    await bad('mutation { createWebhookEndpoint(url: "https://example.com", eventTypes: ["dev.polaris.invoice.*"], organizationId: "acme") { secret } }', {}, ['organizationId']);
    await bad('mutation { updateWebhookEndpoint(id: "nope", url: "gopher://x") { id } }', {}, ['id', 'url']);
    await bad('mutation { rotateWebhookSecret(id: "nope") { secret } }', {}, ['id']);
    await bad('mutation { deleteWebhookEndpoint(id: "nope") }', {}, ['id']);
    await bad('{ webhookDeliveries(endpointId: "nope", limit: 1000) { id } }', {}, ['endpointId', 'limit']);
    await bad('mutation { redeliverWebhook(messageId: "msg_x") { id } }', {}, ['messageId']);

    const client = rpcClient(host.grpcAddress);
    try {
      const error = await grpcError(client.call(WebhooksService.createWebhookEndpoint, { organizationId: 'x', url: 'ftp://example.com/', eventTypes: ['nope'], description: '' }));
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details).toContain('organization_id: must be a UUID');
      expect(error.details).toContain('url: must be an absolute http:// or https:// URL');
      expect(error.details).toContain('event_types[0]: must be one of');
      const missing = await grpcError(client.call(WebhooksService.createWebhookEndpoint, { organizationId: '00000000-0000-4000-8000-000000000000', url: 'https://example.com', eventTypes: ['dev.polaris.invoice.*'], description: '' }));
      expect(missing.code).toBe(grpc.status.NOT_FOUND);
      const unknownStatus = await grpcError(client.call(WebhooksService.listWebhookDeliveries, { endpointId: '00000000-0000-4000-8000-000000000000', organizationId: '', status: 42, limit: 0 }));
      expect(unknownStatus.code).toBe(grpc.status.INVALID_ARGUMENT);
    } finally {
      client.close();
    }
    const anonymous = rpcClient(host.grpcAddress, { adminToken: null });
    try {
      expect((await grpcError(anonymous.call(WebhooksService.listWebhookEndpoints, { organizationId: '' }))).code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      anonymous.close();
    }
  });

  it("lets a tenant with MANAGE manage its own endpoints; a READ key is FORBIDDEN, another organization's endpoint NOT_FOUND", async () => {
    const acme = await createTenant(host.grpcAddress, 'Acme Access');
    const globex = await createTenant(host.grpcAddress, 'Globex Access');
    const keyWith = async (scopes: string) =>
      dataOf(await graphql(`mutation($o: ID!) { createApiKey(organizationId: $o, scopes: [${scopes}]) { apiKey } }`, { o: acme.organizationId }, operator)).createApiKey.apiKey;
    const manage = { apiKey: await keyWith('MANAGE') };
    const read = { apiKey: await keyWith('READ') };
    const mine = await createEndpoint('https://example.com/acme', ['dev.polaris.usage.threshold.*'], manage);
    expect(mine.organizationId).toBe(acme.organizationId);
    const theirs = await createEndpoint('https://example.com/globex', ['dev.polaris.invoice.*'], { apiKey: globex.apiKey });
    const operators = await createEndpoint('https://example.com/all', ['dev.polaris.invoice.*'], operator);

    const listed = dataOf(await graphql('{ webhookEndpoints { id url } }', {}, manage)).webhookEndpoints;
    expect(listed).toEqual([{ id: mine.id, url: 'https://example.com/acme' }]);
    const updated = dataOf(await graphql('mutation($id: ID!) { updateWebhookEndpoint(id: $id, eventTypes: ["dev.polaris.invoice.paid"], description: "Finance") { eventTypes description } }', { id: mine.id }, manage));
    expect(updated.updateWebhookEndpoint).toEqual({ eventTypes: ['dev.polaris.invoice.paid'], description: 'Finance' });

    for (const query of ['{ webhookEndpoints { id } }', 'mutation { createWebhookEndpoint(url: "https://example.com", eventTypes: ["dev.polaris.invoice.*"]) { secret } }']) {
      expect(codes((await graphql(query, {}, read)).body), query).toEqual(['FORBIDDEN']);
    }
    expect(codes((await graphql('mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', { id: mine.id }, read)).body)).toEqual(['FORBIDDEN']);

    for (const other of [theirs, operators]) {
      for (const query of [
        'mutation($id: ID!) { updateWebhookEndpoint(id: $id, enabled: false) { id } }',
        'mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }',
        'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }',
        'query($id: ID!) { webhookDeliveries(endpointId: $id) { id } }',
      ]) {
        const answer = await graphql(query, { id: other.id }, manage);
        expect(codes(answer.body), query).toEqual(['NOT_FOUND']);
      }
    }
    expect(codes((await graphql('mutation($o: ID) { createWebhookEndpoint(url: "https://example.com", eventTypes: ["dev.polaris.invoice.*"], organizationId: $o) { secret } }', { o: globex.organizationId }, manage)).body)).toEqual(['FORBIDDEN']);
    expect((await endpointOf(theirs.id)).enabled).toBe(true);

    // Every change is in the audit log, with the actor, and no secret.
    const { auditLog } = dataOf(await graphql('query($o: ID) { auditLog(organizationId: $o) { action target actor } }', { o: acme.organizationId }, operator));
    expect(auditLog.map((entry: Json) => entry.action)).toEqual(expect.arrayContaining(['webhook_endpoint.create', 'webhook_endpoint.update']));
    expect(auditLog.find((entry: Json) => entry.action === 'webhook_endpoint.create').target).toBe(`webhook_endpoint:${mine.id}`);
    expect(JSON.stringify(auditLog)).not.toContain('whsec_');
    dataOf(await graphql('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: mine.id }, manage));
    expect(codes((await graphql('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: mine.id }, manage)).body)).toEqual(['NOT_FOUND']);
    for (const endpoint of [theirs, operators]) dataOf(await graphql('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: endpoint.id }, operator));
  });

  it('shows a signing secret only when it is made: never in listings, the database or the logs', async () => {
    expect(secretsShown.length).toBeGreaterThan(5);
    const listings = JSON.stringify(await graphql(`{ webhookEndpoints { ${endpointFields} } }`, {}, operator));
    const stored = JSON.stringify(await db.sql`select * from webhooks.endpoints`);
    const logs = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of secretsShown) {
      const key = secret.slice('whsec_'.length);
      for (const [where, text] of [
        ['listings', listings],
        ['the database', stored],
        ['the logs', logs],
      ] as const) {
        expect(text.includes(key), `a secret in ${where}`).toBe(false);
      }
    }
    expect(logs).not.toContain('whsec_');
  });
});
