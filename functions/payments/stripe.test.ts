/**
 * Stripe payments end to end: the real functions, PostgreSQL, NATS and the
 * delivery process, the official `stripe` package, and a local stand-in for
 * api.stripe.com (test/support/fake-stripe.ts) whose recorded requests show
 * what the package sent. Organizations are linked to customers; finalized
 * invoices become Stripe invoices with exact amounts, sent or charged once
 * however often their event arrives; signed webhooks move the payment
 * status that GraphQL shows and billing's events announce.
 */
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { aggregateAndDeliver } from '../../test/support/aggregation.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { startFakeStripe, signedWebhook, stripeEvent, type FakeObject, type FakeStripe } from '../../test/support/fake-stripe.js';
import { codes, dataOf, graphqlAt, operator, type Graphql, type Json } from '../../test/support/graphql.js';
import { rpcClient, setPlanRequest } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream, readStream, waitForStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

const webhookSecret = 'whsec_test_polaris_0123456789abcdef';

let db: TestDatabase;
let host: TestHost;
let fake: FakeStripe;
let rpc: ReturnType<typeof rpcClient>;
let graphql: Graphql;

beforeAll(async () => {
  fake = await startFakeStripe();
  db = await createTestDatabase();
  host = await startTestHost({
    databaseUrl: db.url,
    env: { STRIPE_SECRET_KEY: 'sk_test_polaris_0123456789', STRIPE_WEBHOOK_SECRET: webhookSecret, POLARIS_STRIPE_API_URL: fake.url },
    // As npm start: finalized invoices reach the payments function through the stream, failures again after a backoff.
    delivery: { maxDeliver: 6, backoffMs: [200, 400] },
  });
  rpc = rpcClient(host.grpcAddress);
  graphql = graphqlAt(host.http);
});

afterAll(async () => {
  rpc?.close();
  await host?.close();
  if (host) await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
  await fake?.close();
});

const asOperator = async (query: string, variables: object = {}) => dataOf(await graphql(query, variables, operator));

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const link = (tenant: TestTenant, fields: { customerId?: string; collectionMethod?: string; daysUntilDue?: number } = {}) =>
  graphql(
    'mutation($o: ID!, $c: String, $m: StripeCollectionMethod, $d: Int) { setStripeCustomer(organizationId: $o, customerId: $c, collectionMethod: $m, daysUntilDue: $d) { customerId collectionMethod daysUntilDue } }',
    { o: tenant.organizationId, c: fields.customerId, m: fields.collectionMethod, d: fields.daysUntilDue },
    operator,
  );

interface Priced {
  plans: { metric: string; unitPrice: string; freeQuota?: string; currency?: string }[];
  usage: { metric: string; quantity: number }[];
  fee?: string;
}

/** An organization's current invoice, priced from usage, finalized through GraphQL. */
async function finalizedInvoice(tenant: TestTenant, priced: Priced): Promise<Json> {
  for (const plan of priced.plans) await rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: tenant.organizationId, ...plan }));
  if (priced.fee) {
    await rpc.call(BillingRpc.setBillingTerms, { organizationId: tenant.organizationId, timeZone: '', recurringFee: priced.fee, recurringFeeName: 'Platform', minimum: '', currency: '' });
  }
  const response = await fetch(`${host.http}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
    body: JSON.stringify(priced.usage),
  });
  expect(response.status).toBe(200);
  await aggregateAndDeliver(host, tenant.organizationId);
  const [draft] = (await rpc.call(BillingRpc.listInvoices, { organizationId: tenant.organizationId })).invoices;
  return (await asOperator('mutation($i: ID!) { finalizeInvoice(id: $i) { id number amount currency status lineItems { kind amount } } }', { i: draft!.id })).finalizeInvoice;
}

/** The Stripe invoice made for a Polaris invoice, once it is `status`. */
const stripeInvoiceOf = (invoiceId: string, status?: string) =>
  waitFor(`Stripe invoice of ${invoiceId}${status ? ` ${status}` : ''}`, () =>
    [...fake.invoices.values()].find((invoice) => (invoice.metadata as Record<string, string>).polaris_invoice_id === invoiceId && (!status || invoice.status === status)),
  );

const keyOf = (invoiceId: string, step: string) => `polaris:invoice:${invoiceId}:${step}`;
const requestsWithKeyPrefix = (prefix: string) => fake.requests.filter((r) => r.idempotencyKey?.startsWith(prefix));

async function paymentStatusOf(tenant: TestTenant, invoiceId: string): Promise<{ status: string; paymentStatus: string | null }> {
  const { invoices } = dataOf(await graphql('{ invoices { id status paymentStatus } }', {}, { apiKey: tenant.apiKey }));
  return invoices.find((invoice: Json) => invoice.id === invoiceId);
}

/** The finalized event of an invoice, as it is on the stream. */
async function finalizedEvent(invoiceId: string): Promise<CloudEvent<unknown>> {
  const events = await waitForStream(host.natsUrl, host.stream.stream, (all) => all.some((e) => e.event.type === 'dev.polaris.invoice.finalized' && e.event.data.invoiceId === invoiceId));
  return new CloudEvent(events.find((e) => e.event.type === 'dev.polaris.invoice.finalized' && e.event.data.invoiceId === invoiceId)!.event as never);
}

const paymentEventsOf = async (invoiceId: string) =>
  (await readStream(host.natsUrl, host.stream.stream))
    .filter((e) => e.event.data.invoiceId === invoiceId && ['dev.polaris.invoice.paid', 'dev.polaris.invoice.payment_failed', 'dev.polaris.invoice.uncollectible'].includes(e.event.type))
    .map((e) => e.event);

function postWebhook(body: string, signature?: string): Promise<Response> {
  return fetch(`${host.http}/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(signature && { 'stripe-signature': signature }) },
    body,
  });
}

async function webhook(type: string, stripeInvoice: FakeObject, eventId?: string): Promise<{ status: number; body: Json }> {
  const { body, signature } = signedWebhook(stripeEvent(type, { ...stripeInvoice }, eventId), webhookSecret);
  const response = await postWebhook(body, signature);
  return { status: response.status, body: await response.json() };
}

describe('organizations linked to Stripe customers', () => {
  it('creates the customer in Stripe once, keeps it when only the method changes, and links one named by the operator', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Acme Metering');
    const created = dataOf(await link(tenant)).setStripeCustomer;
    expect(created).toEqual({ customerId: expect.stringMatching(/^cus_/), collectionMethod: 'CHARGE_AUTOMATICALLY', daysUntilDue: null });
    const [creation] = fake.requestsTo('POST', '/v1/customers').filter((r) => r.idempotencyKey === `polaris:organization:${tenant.organizationId}:customer`);
    expect(creation!.body).toEqual({ name: 'Acme Metering', metadata: { polaris_organization_id: tenant.organizationId } });
    expect(fake.customers.get(created.customerId)).toMatchObject({ name: 'Acme Metering' });

    const relinked = dataOf(await link(tenant, { collectionMethod: 'SEND_INVOICE' })).setStripeCustomer;
    expect(relinked).toEqual({ customerId: created.customerId, collectionMethod: 'SEND_INVOICE', daysUntilDue: 30 });
    expect(dataOf(await link(tenant, { daysUntilDue: 14 })).setStripeCustomer).toEqual({ customerId: created.customerId, collectionMethod: 'SEND_INVOICE', daysUntilDue: 14 });
    expect(fake.requestsTo('POST', '/v1/customers').filter((r) => r.idempotencyKey?.includes(tenant.organizationId))).toHaveLength(1);

    const existing = fake.addCustomer('Acme in the Dashboard');
    expect(dataOf(await link(tenant, { customerId: existing.id, collectionMethod: 'CHARGE_AUTOMATICALLY' })).setStripeCustomer).toEqual({
      customerId: existing.id,
      collectionMethod: 'CHARGE_AUTOMATICALLY',
      daysUntilDue: null,
    });
    expect(fake.requestsTo('GET', `/v1/customers/${existing.id}`)).toHaveLength(1);

    const seen = dataOf(await graphql('query($o: ID!) { organization(id: $o) { stripe { customerId collectionMethod daysUntilDue } } }', { o: tenant.organizationId }, operator));
    expect(seen.organization.stripe).toEqual({ customerId: existing.id, collectionMethod: 'CHARGE_AUTOMATICALLY', daysUntilDue: null });
    expect(dataOf(await graphql('{ me { stripe { customerId } } }', {}, { apiKey: tenant.apiKey })).me.stripe).toEqual({ customerId: existing.id });
    const unlinked = await createTenant(host.grpcAddress);
    expect(dataOf(await graphql('{ me { stripe { customerId } } }', {}, { apiKey: unlinked.apiKey })).me.stripe).toBeNull();
  });

  it('refuses customers Stripe does not know, bad ids and days, and organizations that do not exist', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const problems = async (fields: Parameters<typeof link>[1], organization = tenant) => {
      const { body } = await link(organization, fields);
      return { codes: codes(body), fields: body.errors?.[0]?.extensions?.fields?.map((f: Json) => f.field) };
    };
    expect(await problems({ customerId: 'cus_NoSuchCustomer' })).toEqual({ codes: ['BAD_USER_INPUT'], fields: ['customerId'] });
    expect(await problems({ customerId: 'acme' })).toEqual({ codes: ['BAD_USER_INPUT'], fields: ['customerId'] });
    expect(await problems({ daysUntilDue: 10, collectionMethod: 'CHARGE_AUTOMATICALLY' })).toEqual({ codes: ['BAD_USER_INPUT'], fields: ['daysUntilDue'] });
    expect(await problems({ daysUntilDue: 400, collectionMethod: 'SEND_INVOICE' })).toEqual({ codes: ['BAD_USER_INPUT'], fields: ['daysUntilDue'] });
    expect(await problems({ daysUntilDue: 0, collectionMethod: 'SEND_INVOICE' })).toEqual({ codes: ['BAD_USER_INPUT'], fields: ['daysUntilDue'] });
    // Nothing was linked by the refusals.
    expect(dataOf(await graphql('{ me { stripe { customerId } } }', {}, { apiKey: tenant.apiKey })).me.stripe).toBeNull();
    const nobody = { ...tenant, organizationId: '00000000-0000-4000-8000-000000000000' };
    expect((await problems({}, nobody)).codes).toEqual(['NOT_FOUND']);
    expect(codes((await graphql('mutation($o: ID!) { setStripeCustomer(organizationId: $o) { customerId } }', { o: tenant.organizationId }, { apiKey: tenant.apiKey })).body)).toEqual([
      'FORBIDDEN',
    ]);
  });
});

describe('finalized invoices in Stripe', () => {
  it('become Stripe invoices with the same lines in exact cents, finalized and charged once (charge_automatically)', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Charged Co');
    const { customerId } = dataOf(await link(tenant)).setStripeCustomer;
    const invoice = await finalizedInvoice(tenant, {
      plans: [
        { metric: 'api_calls', unitPrice: '0.0015' },
        { metric: 'storage_gb', unitPrice: '0.25' },
      ],
      // 1001 × 0.0015 = 1.5015 → 1.50; 12.5 × 0.25 = 3.125 → 3.13 (half up); the fee 49.99.
      usage: [
        { metric: 'api_calls', quantity: 1001 },
        { metric: 'storage_gb', quantity: 12.5 },
      ],
      fee: '49.99',
    });
    expect(invoice).toMatchObject({ amount: '54.62', currency: 'USD', lineItems: [{ amount: '1.50' }, { amount: '3.13' }, { amount: '49.99' }] });

    const charged = await stripeInvoiceOf(invoice.id, 'paid');
    expect(charged).toMatchObject({ customer: customerId, currency: 'usd', collection_method: 'charge_automatically', total: 5462, amount_paid: 5462 });

    const [created] = fake.requestsTo('POST', '/v1/invoices').filter((r) => r.idempotencyKey === keyOf(invoice.id, 'invoice'));
    expect(created!.body).toEqual({
      customer: customerId,
      currency: 'usd',
      collection_method: 'charge_automatically',
      auto_advance: 'false',
      pending_invoice_items_behavior: 'exclude',
      description: expect.stringContaining(invoice.number),
      metadata: { polaris_invoice_id: invoice.id, polaris_invoice_number: invoice.number, polaris_organization_id: tenant.organizationId },
    });
    const items = fake.requestsTo('POST', '/v1/invoiceitems').filter((r) => r.idempotencyKey?.startsWith(keyOf(invoice.id, 'line-')));
    expect(items.map((r) => [r.idempotencyKey, r.body.amount, r.body.currency, r.body.invoice])).toEqual([
      [keyOf(invoice.id, 'line-0'), '150', 'usd', charged.id],
      [keyOf(invoice.id, 'line-1'), '313', 'usd', charged.id],
      [keyOf(invoice.id, 'line-2'), '4999', 'usd', charged.id],
    ]);
    expect(items.map((r) => r.body.description)).toEqual(['api_calls: 1001 api_calls', 'storage_gb: 12.5 storage_gb', 'Platform']);
    expect(items[0]!.body.period).toEqual({ start: expect.stringMatching(/^\d+$/), end: expect.stringMatching(/^\d+$/) });
    expect(requestsWithKeyPrefix(keyOf(invoice.id, '')).map((r) => `${r.method} ${r.path.replace(charged.id, '<id>')}`)).toEqual([
      'POST /v1/invoices',
      'POST /v1/invoiceitems',
      'POST /v1/invoiceitems',
      'POST /v1/invoiceitems',
      'POST /v1/invoices/<id>/finalize',
      'POST /v1/invoices/<id>/pay',
    ]);
    expect(fake.requestsTo('POST', `/v1/invoices/${charged.id}/finalize`)[0]!.body).toEqual({ auto_advance: 'false' });

    // The charge's answer already says paid: billing hears it at once, webhook or not.
    expect(await waitFor('paid in Polaris', async () => ((await paymentStatusOf(tenant, invoice.id)).paymentStatus === 'paid' ? true : undefined))).toBe(true);
    expect(await paymentStatusOf(tenant, invoice.id)).toEqual({ id: invoice.id, status: 'finalized', paymentStatus: 'paid' });
    const announced = await waitFor('the paid event', async () => ((await paymentEventsOf(invoice.id)).length > 0 ? paymentEventsOf(invoice.id) : undefined));
    expect(announced).toEqual([expect.objectContaining({ type: 'dev.polaris.invoice.paid', data: expect.objectContaining({ paymentStatus: 'paid', status: 'finalized', amount: '54.62' }) })]);
  });

  it('send a zero-decimal currency in whole yen, rounded as billing rounds, and email it (send_invoice)', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Yen KK');
    const { customerId } = dataOf(await link(tenant, { collectionMethod: 'SEND_INVOICE', daysUntilDue: 14 })).setStripeCustomer;
    const invoice = await finalizedInvoice(tenant, {
      // 3 × 0.5 = 1.5 → 2 yen (half up); 10 × 120 = 1200 yen.
      plans: [
        { metric: 'renders', unitPrice: '0.5', currency: 'JPY' },
        { metric: 'seats', unitPrice: '120', currency: 'JPY' },
      ],
      usage: [
        { metric: 'renders', quantity: 3 },
        { metric: 'seats', quantity: 10 },
      ],
    });
    expect(invoice).toMatchObject({ currency: 'JPY', amount: '1202' });
    const sent = await waitFor('sent', async () => {
      const found = await stripeInvoiceOf(invoice.id);
      return fake.requestsTo('POST', `/v1/invoices/${found.id}/send`).length > 0 ? found : undefined;
    });
    expect(sent).toMatchObject({ customer: customerId, currency: 'jpy', collection_method: 'send_invoice', days_until_due: 14, status: 'open', total: 1202 });
    const items = fake.requestsTo('POST', '/v1/invoiceitems').filter((r) => r.body.invoice === sent.id);
    expect(items.map((r) => [r.body.amount, r.body.currency])).toEqual([
      ['2', 'jpy'],
      ['1200', 'jpy'],
    ]);
    expect(fake.requestsTo('POST', `/v1/invoices/${sent.id}/send`)[0]!.idempotencyKey).toBe(keyOf(invoice.id, 'send'));
    expect(fake.requestsTo('POST', `/v1/invoices/${sent.id}/pay`)).toEqual([]);
    // Emailed, not paid yet: Stripe's webhook will say.
    expect(await paymentStatusOf(tenant, invoice.id)).toEqual({ id: invoice.id, status: 'finalized', paymentStatus: null });
  });

  it('make one Stripe invoice however often, and however concurrently, the finalized event arrives', async () => {
    const tenant = await createTenant(host.grpcAddress);
    await link(tenant, { collectionMethod: 'SEND_INVOICE' });
    // Linked first, so the delivery process sends it too, while the same event is delivered here three times at once.
    const invoice = await finalizedInvoice(tenant, { plans: [{ metric: 'api_calls', unitPrice: '2' }], usage: [{ metric: 'api_calls', quantity: 3 }] });
    const event = await finalizedEvent(invoice.id);
    await Promise.all([1, 2, 3].map(() => host.deliver('send-invoice-to-stripe', event)));
    await host.deliver('send-invoice-to-stripe', event);

    const stripeInvoice = await stripeInvoiceOf(invoice.id, 'open');
    const ofThisInvoice = [...fake.invoices.values()].filter((i) => (i.metadata as Record<string, string>).polaris_invoice_id === invoice.id);
    expect(ofThisInvoice).toHaveLength(1);
    expect(stripeInvoice).toMatchObject({ total: 600, lines: { data: [expect.objectContaining({ amount: 600 })] } });
    expect(fake.requestsTo('POST', `/v1/invoices/${stripeInvoice.id}/send`)).toHaveLength(1);
  });

  it('retry a lost answer and a failed step under the same idempotency keys, and Stripe answers them as the first time', async () => {
    const tenant = await createTenant(host.grpcAddress);
    await link(tenant);
    // The invoice is made but its answer lost (the package retries at once, same key);
    // then finalizing fails, so the event fails and is delivered again.
    fake.failNext('POST', '/v1/invoices', 'drop');
    fake.failNext('POST', /^\/v1\/invoices\/[^/]+\/finalize$/, { status: 400, type: 'invalid_request_error', message: 'Injected: try again later' });
    const invoice = await finalizedInvoice(tenant, {
      plans: [
        { metric: 'api_calls', unitPrice: '1' },
        { metric: 'seats', unitPrice: '10' },
      ],
      usage: [
        { metric: 'api_calls', quantity: 7 },
        { metric: 'seats', quantity: 2 },
      ],
    });
    const charged = await stripeInvoiceOf(invoice.id, 'paid');

    const creations = fake.requestsTo('POST', '/v1/invoices').filter((r) => r.idempotencyKey === keyOf(invoice.id, 'invoice'));
    expect(creations.map((r) => r.replayed)).toEqual([false, true]);
    expect([...fake.invoices.values()].filter((i) => i.customer === charged.customer)).toHaveLength(1);
    // Both lines sent twice under the same keys; the second time Stripe answered with the first items.
    const items = requestsWithKeyPrefix(keyOf(invoice.id, 'line-'));
    expect(items.map((r) => [r.idempotencyKey, r.replayed])).toEqual([
      [keyOf(invoice.id, 'line-0'), false],
      [keyOf(invoice.id, 'line-1'), false],
      [keyOf(invoice.id, 'line-0'), true],
      [keyOf(invoice.id, 'line-1'), true],
    ]);
    expect(charged).toMatchObject({ total: 2700, lines: { data: [expect.objectContaining({ amount: 700 }), expect.objectContaining({ amount: 2000 })] } });
    expect(fake.requestsTo('POST', `/v1/invoices/${charged.id}/finalize`)).toHaveLength(2);
    expect(fake.requestsTo('POST', `/v1/invoices/${charged.id}/pay`)).toHaveLength(1);
    const record = await waitFor('the last step recorded', async () => {
      const [row] = await db.sql<{ state: string; attempts: number; lastError: string | null }[]>`
        select state, attempts, last_error from payments.stripe_invoices where invoice_id = ${invoice.id}`;
      return row?.state === 'charged' ? row : undefined;
    });
    expect(record).toEqual({ state: 'charged', attempts: 2, lastError: null });
  });

  it('leave a declined charge to Stripe’s retries, and report it payment_failed', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const { customerId } = dataOf(await link(tenant)).setStripeCustomer;
    fake.declineCharges(customerId);
    const invoice = await finalizedInvoice(tenant, { plans: [{ metric: 'api_calls', unitPrice: '1.25' }], usage: [{ metric: 'api_calls', quantity: 4 }] });
    const declined = await stripeInvoiceOf(invoice.id);
    await waitFor('payment_failed in Polaris', async () => ((await paymentStatusOf(tenant, invoice.id)).paymentStatus === 'payment_failed' ? true : undefined));
    expect(fake.invoices.get(declined.id)).toMatchObject({ status: 'open', auto_advance: true, total: 500 });
    expect(fake.requestsTo('POST', `/v1/invoices/${declined.id}`)).toEqual([expect.objectContaining({ body: { auto_advance: 'true' }, idempotencyKey: keyOf(invoice.id, 'retry') })]);
    const record = await waitFor('the last step recorded', async () => {
      const [row] = await db.sql<{ state: string; lastError: string }[]>`select state, last_error from payments.stripe_invoices where invoice_id = ${invoice.id}`;
      return row?.state === 'charge_failed' ? row : undefined;
    });
    expect(record).toEqual({ state: 'charge_failed', lastError: expect.stringContaining('card_declined') });
    await waitFor('the payment_failed event', async () => ((await paymentEventsOf(invoice.id)).some((e) => e.type === 'dev.polaris.invoice.payment_failed') ? true : undefined));
  });
});

describe('invoices sent to Stripe on demand', () => {
  const sendNow = (invoiceId: string) => graphql('mutation($i: ID!) { sendInvoiceToStripe(id: $i) }', { i: invoiceId }, operator);
  const stripeInvoicesOf = (invoiceId: string) => [...fake.invoices.values()].filter((i) => (i.metadata as Record<string, string>).polaris_invoice_id === invoiceId);

  it('send one finalized before its organization was linked, once however often asked, and refuse what cannot go, saying why', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const invoice = await finalizedInvoice(tenant, { plans: [{ metric: 'api_calls', unitPrice: '2' }], usage: [{ metric: 'api_calls', quantity: 3 }] });
    // Its finalized event came before the link: nothing went to Stripe.
    await host.deliver('send-invoice-to-stripe', await finalizedEvent(invoice.id));
    expect(stripeInvoicesOf(invoice.id)).toEqual([]);
    const unlinked = await sendNow(invoice.id);
    expect(codes(unlinked.body)).toEqual(['BAD_USER_INPUT']);
    expect(unlinked.body.errors[0].message).toContain('no Stripe customer');

    await link(tenant, { collectionMethod: 'SEND_INVOICE' });
    const answers = await Promise.all([1, 2].map(() => sendNow(invoice.id)));
    expect(answers.map((answer) => dataOf(answer).sendInvoiceToStripe)).toEqual(['sent', 'sent']);
    expect(dataOf(await sendNow(invoice.id)).sendInvoiceToStripe).toBe('sent');
    const [stripeInvoice, ...more] = stripeInvoicesOf(invoice.id);
    expect(more).toEqual([]);
    expect(stripeInvoice).toMatchObject({ status: 'open', total: 600 });
    expect(fake.requestsTo('POST', `/v1/invoices/${stripeInvoice!.id}/send`)).toHaveLength(1);

    const draft = await createTenant(host.grpcAddress);
    await link(draft);
    const { invoice: drafted } = await rpc.call(BillingRpc.generateInvoice, { organizationId: draft.organizationId, periodStart: '2026-01-01T00:00:00Z', periodEnd: '2026-02-01T00:00:00Z' });
    const notFinalized = await sendNow(drafted!.id);
    expect(codes(notFinalized.body)).toEqual(['BAD_USER_INPUT']);
    expect(notFinalized.body.errors[0].message).toContain('not finalized');
    expect(codes((await sendNow('00000000-0000-4000-8000-000000000000')).body)).toEqual(['NOT_FOUND']);
    expect(stripeInvoicesOf(drafted!.id)).toEqual([]);
  });
});

describe('voided invoices in Stripe', () => {
  const voidInvoice = (invoiceId: string) => asOperator('mutation($i: ID!) { voidInvoice(id: $i, reason: "Billed in error") { status } }', { i: invoiceId });
  const recordOf = async (invoiceId: string) => {
    const [row] = await db.sql<{ state: string; lastError: string | null }[]>`select state, last_error from payments.stripe_invoices where invoice_id = ${invoiceId}`;
    return row;
  };
  const voidedEvent = async (invoiceId: string) => {
    const events = await waitForStream(host.natsUrl, host.stream.stream, (all) => all.some((e) => e.event.type === 'dev.polaris.invoice.voided' && e.event.data.invoiceId === invoiceId));
    return new CloudEvent(events.find((e) => e.event.type === 'dev.polaris.invoice.voided' && e.event.data.invoiceId === invoiceId)!.event as never);
  };

  it('void an emailed Stripe invoice once, however often the voided event arrives, so the customer is no longer asked to pay', async () => {
    const tenant = await createTenant(host.grpcAddress);
    await link(tenant, { collectionMethod: 'SEND_INVOICE' });
    const invoice = await finalizedInvoice(tenant, { plans: [{ metric: 'api_calls', unitPrice: '3' }], usage: [{ metric: 'api_calls', quantity: 2 }] });
    const sent = await stripeInvoiceOf(invoice.id, 'open');
    await waitFor('sent', () => fake.requestsTo('POST', `/v1/invoices/${sent.id}/send`).length > 0 || undefined);

    expect((await voidInvoice(invoice.id)).voidInvoice).toEqual({ status: 'void' });
    await stripeInvoiceOf(invoice.id, 'void');
    const event = await voidedEvent(invoice.id);
    await Promise.all([1, 2].map(() => host.deliver('void-invoice-in-stripe', event)));
    expect(fake.requestsTo('POST', `/v1/invoices/${sent.id}/void`).map((r) => [r.idempotencyKey, r.replayed])).toEqual([[keyOf(invoice.id, 'void'), false]]);
    expect(await recordOf(invoice.id)).toEqual({ state: 'voided', lastError: null });
    // The finalized event again sends nothing.
    const before = fake.requests.length;
    await host.deliver('send-invoice-to-stripe', await finalizedEvent(invoice.id));
    expect(fake.requests.slice(before).filter((r) => r.path.includes(sent.id))).toEqual([]);
  });

  it('delete the Stripe draft of an invoice voided before it could be finalized there, and never send it afterwards', async () => {
    const tenant = await createTenant(host.grpcAddress);
    await link(tenant, { collectionMethod: 'SEND_INVOICE' });
    // Each of the six deliveries of the finalized event fails at Stripe's finalize (a refusal the package does
    // not retry itself), so the Stripe invoice stays a draft.
    for (let i = 0; i < 6; i++) fake.failNext('POST', /^\/v1\/invoices\/[^/]+\/finalize$/, { status: 400, type: 'invalid_request_error', message: 'Injected: not now' });
    const invoice = await finalizedInvoice(tenant, { plans: [{ metric: 'api_calls', unitPrice: '1' }], usage: [{ metric: 'api_calls', quantity: 5 }] });
    const draft = await stripeInvoiceOf(invoice.id, 'draft');
    await waitFor('every delivery tried', async () => {
      const [row] = await db.sql<{ attempts: number }[]>`select attempts from payments.stripe_invoices where invoice_id = ${invoice.id}`;
      return row?.attempts === 6 ? true : undefined;
    });

    await voidInvoice(invoice.id);
    await waitFor('the draft deleted', () => (fake.invoices.has(draft.id) ? undefined : true));
    await waitFor('the record voided', async () => ((await recordOf(invoice.id))?.state === 'voided' ? true : undefined));
    expect(fake.requestsTo('DELETE', `/v1/invoices/${draft.id}`)).toHaveLength(1);
    const before = fake.requests.length;
    await host.deliver('send-invoice-to-stripe', await finalizedEvent(invoice.id));
    expect(fake.requests.slice(before)).toEqual([]);
    expect([...fake.invoices.values()].filter((i) => (i.metadata as Record<string, string>).polaris_invoice_id === invoice.id)).toEqual([]);
  });

  it('leave a paid Stripe invoice paid, saying why, since a void refunds nothing', async () => {
    const tenant = await createTenant(host.grpcAddress);
    await link(tenant);
    const invoice = await finalizedInvoice(tenant, { plans: [{ metric: 'api_calls', unitPrice: '2' }], usage: [{ metric: 'api_calls', quantity: 4 }] });
    const paid = await stripeInvoiceOf(invoice.id, 'paid');
    await waitFor('charged', async () => ((await recordOf(invoice.id))?.state === 'charged' ? true : undefined));

    await voidInvoice(invoice.id);
    const record = await waitFor('the reason kept', async () => {
      const row = await recordOf(invoice.id);
      return row?.lastError ? row : undefined;
    });
    expect(record).toEqual({ state: 'charged', lastError: expect.stringContaining('refund it in Stripe') });
    expect(fake.invoices.get(paid.id)).toMatchObject({ status: 'paid', amount_paid: 800 });
    expect(fake.requestsTo('POST', `/v1/invoices/${paid.id}/void`)).toEqual([]);
  });

  it('refuse a voided event that names no invoice, and pass over invoices that never reached Stripe', async () => {
    const unlinked = await createTenant(host.grpcAddress);
    const invoice = await finalizedInvoice(unlinked, { plans: [{ metric: 'api_calls', unitPrice: '1' }], usage: [{ metric: 'api_calls', quantity: 1 }] });
    await voidInvoice(invoice.id);
    const before = fake.requests.length;
    await host.deliver('void-invoice-in-stripe', await voidedEvent(invoice.id));
    expect(fake.requests.slice(before)).toEqual([]);
    expect(await recordOf(invoice.id)).toBeUndefined();
    const nameless = new CloudEvent({ type: 'dev.polaris.invoice.voided', source: '/test', data: { invoiceId: 'in_1' } });
    await expect(host.deliver('void-invoice-in-stripe', nameless)).rejects.toThrow(/data\.invoiceId/);
  });
});

describe('Stripe webhooks', () => {
  let tenant: TestTenant;
  let invoice: Json;
  let stripeInvoice: FakeObject;

  beforeAll(async () => {
    tenant = await createTenant(host.grpcAddress);
    await link(tenant, { collectionMethod: 'SEND_INVOICE' });
    invoice = await finalizedInvoice(tenant, { plans: [{ metric: 'api_calls', unitPrice: '0.10' }], usage: [{ metric: 'api_calls', quantity: 25 }] });
    stripeInvoice = await stripeInvoiceOf(invoice.id, 'open');
    await waitFor('sent', () => fake.requestsTo('POST', `/v1/invoices/${stripeInvoice.id}/send`).length > 0 || undefined);
  });

  it('move the payment status as Stripe reports, once per event, forward only, and announce each move', async () => {
    const failed = await webhook('invoice.payment_failed', stripeInvoice, 'evt_FailedOnce');
    expect(failed).toEqual({ status: 200, body: { received: true, eventId: 'evt_FailedOnce', invoiceId: invoice.id, paymentStatus: 'payment_failed', changed: true } });
    expect(await paymentStatusOf(tenant, invoice.id)).toEqual({ id: invoice.id, status: 'finalized', paymentStatus: 'payment_failed' });
    // Stripe delivers an event again when it is unsure we got it.
    expect(await webhook('invoice.payment_failed', stripeInvoice, 'evt_FailedOnce')).toEqual({ status: 200, body: { received: true, eventId: 'evt_FailedOnce', duplicate: true } });

    expect((await webhook('invoice.marked_uncollectible', stripeInvoice, 'evt_WrittenOff')).body).toMatchObject({ paymentStatus: 'uncollectible', changed: true });
    expect(await paymentStatusOf(tenant, invoice.id)).toEqual({ id: invoice.id, status: 'finalized', paymentStatus: 'uncollectible' });
    expect((await webhook('invoice.paid', { ...stripeInvoice, status: 'paid' }, 'evt_PaidAfterAll')).body).toMatchObject({ paymentStatus: 'paid', changed: true });
    expect(await paymentStatusOf(tenant, invoice.id)).toEqual({ id: invoice.id, status: 'finalized', paymentStatus: 'paid' });
    // A failure reported late, after the payment, says nothing new.
    expect((await webhook('invoice.payment_failed', stripeInvoice, 'evt_LateFailure')).body).toMatchObject({ paymentStatus: 'paid', changed: false });
    expect(await paymentStatusOf(tenant, invoice.id)).toEqual({ id: invoice.id, status: 'finalized', paymentStatus: 'paid' });

    const announced = await waitFor('three payment events', async () => {
      const events = await paymentEventsOf(invoice.id);
      return events.length >= 3 ? events : undefined;
    });
    expect(announced.map((e) => [e.type, e.data.paymentStatus, e.data.status])).toEqual([
      ['dev.polaris.invoice.payment_failed', 'payment_failed', 'finalized'],
      ['dev.polaris.invoice.uncollectible', 'uncollectible', 'finalized'],
      ['dev.polaris.invoice.paid', 'paid', 'finalized'],
    ]);
    const { auditLog } = await asOperator('query($o: ID) { auditLog(organizationId: $o, action: "invoice.set_payment_status") { actor target } }', { o: tenant.organizationId });
    expect(auditLog).toEqual(Array(3).fill({ actor: 'system', target: `invoice:${invoice.id}` }));
  });

  it('refuse forged, tampered, stale and missing signatures with 400, changing nothing', async () => {
    const other = await createTenant(host.grpcAddress);
    await link(other, { collectionMethod: 'SEND_INVOICE' });
    const unpaid = await finalizedInvoice(other, { plans: [{ metric: 'api_calls', unitPrice: '1' }], usage: [{ metric: 'api_calls', quantity: 1 }] });
    const target = await stripeInvoiceOf(unpaid.id, 'open');
    const event = stripeEvent('invoice.paid', { ...target, status: 'paid' }, 'evt_Forged');

    const forged = signedWebhook(event, 'whsec_someone_elses_secret_0123456');
    const genuine = signedWebhook(event, webhookSecret);
    const stale = signedWebhook(event, webhookSecret, Math.floor(Date.now() / 1000) - 600);
    const attempts = [
      postWebhook(forged.body, forged.signature),
      postWebhook(genuine.body.replace('"evt_Forged"', '"evt_Tampered"'), genuine.signature),
      postWebhook(stale.body, stale.signature),
      postWebhook(genuine.body),
      postWebhook(genuine.body, 'v1=deadbeef'),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(400);
      expect(((await response.json()) as Json).error).toMatchObject({ code: 'invalid_argument', fields: [{ field: 'stripe-signature', message: expect.any(String) }] });
    }
    expect(await paymentStatusOf(other, unpaid.id)).toEqual({ id: unpaid.id, status: 'finalized', paymentStatus: null });
    expect(await db.sql`select 1 from payments.stripe_events where event_id in ('evt_Forged', 'evt_Tampered')`).toHaveLength(0);
    // The genuine one still works afterwards.
    expect((await postWebhook(genuine.body, genuine.signature)).status).toBe(200);
    expect(await paymentStatusOf(other, unpaid.id)).toEqual({ id: unpaid.id, status: 'finalized', paymentStatus: 'paid' });
  });

  it('acknowledge events Polaris does not follow, and invoices it did not send, with 200 so Stripe stops retrying', async () => {
    const notFollowed = await webhook('customer.created', { id: 'cus_Other', object: 'customer' } as FakeObject);
    expect(notFollowed).toEqual({ status: 200, body: { received: true, eventId: expect.any(String), ignored: 'customer.created does not change a payment status' } });
    const elsewhere = await webhook('invoice.paid', { id: 'in_MadeInTheDashboard', object: 'invoice', status: 'paid' });
    expect(elsewhere).toEqual({ status: 200, body: { received: true, eventId: expect.any(String), ignored: 'in_MadeInTheDashboard is no invoice Polaris sent' } });
  });
});
