/**
 * Webhook deliveries per second, against a receiver on this machine that
 * answers 204 at once, beside a baseline of bare HTTP POSTs of the same body
 * to the same receiver, as many at a time:
 *
 * - fan-out: invoice CloudEvents posted to `POST /events`, `concurrency` at a
 *   time; each becomes a message for the organization's endpoint, signed,
 *   recorded and sent (Polaris answers once its attempt is recorded);
 * - retry run: messages left pending (the receiver answered 500 at first),
 *   made due, and sent by `dev.polaris.webhooks.delivery-due` runs, over
 *   `endpoints` endpoints (each endpoint's messages go one at a time).
 *
 * Each load alternates with its baseline over BENCH_ROUNDS rounds. Polaris
 * runs with POLARIS_WEBHOOK_ALLOW_PRIVATE=true, as the receiver is local.
 */
import { randomBytes } from 'node:crypto';
import { createServer, Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTenant, graphql, type Bench } from './context.js';
import { sleep } from './processes.js';

/** Events (and baseline POSTs) in flight at once. */
const concurrency = 16;
/** Endpoints the retry run spreads its messages over. */
const endpoints = 8;

/** A receiver that answers every POST with `status`, and counts the 2xx it gave. */
async function startReceiver(): Promise<{ url: string; delivered: () => number; answer: (status: number) => void; close: () => Promise<void> }> {
  let status = 204;
  let delivered = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (status < 300) delivered += 1;
      response.writeHead(status).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    delivered: () => delivered,
    answer: (next) => (status = next),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Runs `work(i)` for i in [0, count), `limit` at a time. */
async function inParallel(count: number, limit: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) await work(next++);
  }));
}

function invoiceEvent(orgId: string, index: number): { headers: Record<string, string>; body: string } {
  return {
    headers: {
      'ce-specversion': '1.0',
      'ce-id': `bench-webhook-${randomBytes(8).toString('hex')}`,
      'ce-source': '/bench',
      'ce-type': 'dev.polaris.invoice.updated',
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      orgId,
      invoiceId: '00000000-0000-4000-8000-000000000000',
      status: 'draft',
      amount: `${index}.00`,
      periodStart: '2026-11-01T00:00:00.000Z',
      periodEnd: '2026-12-01T00:00:00.000Z',
    }),
  };
}

/** The scheduled run's event, as the CronJob posts it. */
function deliveryDue(): { headers: Record<string, string>; body: string } {
  const { headers } = invoiceEvent('', 0);
  return { headers: { ...headers, 'ce-type': 'dev.polaris.webhooks.delivery-due' }, body: '{}' };
}

async function postEvent(bench: Bench, event: { headers: Record<string, string>; body: string }): Promise<void> {
  const response = await fetch(`${bench.polaris}/events`, { method: 'POST', headers: event.headers, body: event.body });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`POST /events answered ${response.status}: ${text.slice(0, 300)}`);
}

/** The baseline: `count` POSTs of a delivery's size to the receiver, `concurrency` at a time, on kept-alive connections. */
async function barePosts(url: string, count: number, body: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const started = performance.now();
  await inParallel(count, concurrency, () =>
    new Promise<void>((resolve, reject) => {
      const request = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/cloudevents+json', 'content-length': Buffer.byteLength(body) } }, (response) => {
        response.resume();
        response.on('end', resolve);
      });
      request.on('error', reject);
      request.end(body);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return count / seconds;
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('webhook deliveries did not all arrive in time');
    await sleep(5);
  }
}

async function createEndpoint(bench: Bench, orgId: string, url: string): Promise<string> {
  const { createWebhookEndpoint } = await graphql<{ createWebhookEndpoint: { endpoint: { id: string } } }>(
    bench,
    'mutation($o: ID!, $u: String!) { createWebhookEndpoint(organizationId: $o, url: $u, eventTypes: ["dev.polaris.invoice.*"]) { endpoint { id } } }',
    { variables: { o: orgId, u: url }, admin: true },
  );
  return createWebhookEndpoint.endpoint.id;
}

async function deleteEndpoint(bench: Bench, id: string): Promise<void> {
  await graphql(bench, 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { variables: { id }, admin: true });
}

export async function benchWebhooks(bench: Bench): Promise<void> {
  const total = bench.settings.webhookEvents;
  const perRound = Math.max(1, Math.floor(total / bench.settings.rounds));
  const receiver = await startReceiver();
  // A delivery's body, for the baseline's POSTs: the CloudEvent as Polaris sends it.
  const sample = JSON.stringify({ specversion: '1.0', id: randomBytes(16).toString('hex'), source: '/polaris/billing', type: 'dev.polaris.invoice.updated', ...JSON.parse(invoiceEvent('00000000-0000-4000-8000-000000000000', 1).body) });
  try {
    // Fan-out: one endpoint, events posted as the delivery process posts them.
    const fanOutTenant = await createTenant(bench, 'Bench webhooks');
    const fanOutEndpoint = await createEndpoint(bench, fanOutTenant.organizationId, receiver.url);
    let fanOutSeconds = 0;
    let baselineSeconds = 0;
    const stopCpu = bench.cpu();
    for (let round = 0; round < bench.settings.rounds; round++) {
      baselineSeconds += perRound / (await barePosts(receiver.url, perRound, sample));
      const before = receiver.delivered();
      const started = performance.now();
      await inParallel(perRound, concurrency, (index) => postEvent(bench, invoiceEvent(fanOutTenant.organizationId, index)));
      await waitFor(() => receiver.delivered() - before >= perRound, 60_000);
      fanOutSeconds += (performance.now() - started) / 1000;
    }
    bench.results.diagnostics.webhookFanOutCpu = stopCpu();
    const sent = perRound * bench.settings.rounds;
    bench.results.add({
      section: 'webhooks',
      name: `webhook deliveries, fan-out (${concurrency} events at a time, one endpoint)`,
      value: sent / fanOutSeconds,
      unit: 'deliveries/s',
      baseline: { name: `bare HTTP POSTs to the same receiver, ${concurrency} at a time`, value: sent / baselineSeconds },
      extra: { events: sent },
    });
    await deleteEndpoint(bench, fanOutEndpoint);

    // Retry run: messages pending over several endpoints, made due at once.
    const retryTenant = await createTenant(bench, 'Bench webhook retries');
    const retryEndpoints = await Promise.all(Array.from({ length: endpoints }, () => createEndpoint(bench, retryTenant.organizationId, receiver.url)));
    let retrySeconds = 0;
    let retryBaselineSeconds = 0;
    const perRetryRound = Math.max(1, Math.floor(perRound / endpoints));
    for (let round = 0; round < bench.settings.rounds; round++) {
      receiver.answer(500);
      await inParallel(perRetryRound, concurrency, (index) => postEvent(bench, invoiceEvent(retryTenant.organizationId, index)));
      receiver.answer(204);
      const messages = perRetryRound * endpoints;
      retryBaselineSeconds += messages / (await barePosts(receiver.url, messages, sample));
      await bench.sql`update webhooks.messages set next_attempt_at = now() where status = 'pending'`;
      const before = receiver.delivered();
      const started = performance.now();
      // A run stops taking messages after its time budget; the next one goes on.
      while (receiver.delivered() - before < messages) {
        await postEvent(bench, deliveryDue());
        if (performance.now() - started > 300_000) throw new Error('the retry runs did not deliver every message in 5 minutes');
      }
      retrySeconds += (performance.now() - started) / 1000;
    }
    const retried = perRetryRound * endpoints * bench.settings.rounds;
    bench.results.add({
      section: 'webhooks',
      name: `webhook deliveries, retry run (${endpoints} endpoints, each one at a time)`,
      value: retried / retrySeconds,
      unit: 'deliveries/s',
      baseline: { name: `bare HTTP POSTs to the same receiver, ${concurrency} at a time`, value: retried / retryBaselineSeconds },
      extra: { messages: retried },
    });
    for (const id of retryEndpoints) await deleteEndpoint(bench, id);
  } finally {
    await receiver.close();
  }
}
