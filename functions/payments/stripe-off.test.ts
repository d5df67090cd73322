/**
 * Payments with Stripe off (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET
 * unset, as `npm start` runs by default): finalized invoices are
 * acknowledged and go nowhere, the webhook route says how to turn it on,
 * and a link needs the operator to name the customer.
 */
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { startFakeStripe, signedWebhook, stripeEvent, type FakeStripe } from '../../test/support/fake-stripe.js';
import { codes, dataOf, graphqlAt, operator, type Graphql } from '../../test/support/graphql.js';
import { rpcClient, setPlanRequest } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';
import { createTenant } from '../../test/support/tenants.js';

let db: TestDatabase;
let host: TestHost;
let fake: FakeStripe;
let rpc: ReturnType<typeof rpcClient>;
let graphql: Graphql;

beforeAll(async () => {
  fake = await startFakeStripe();
  db = await createTestDatabase();
  // The fake's address alone turns nothing on: it only says where Stripe would be.
  host = await startTestHost({ databaseUrl: db.url, env: { POLARIS_STRIPE_API_URL: fake.url } });
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

describe('with Stripe off', () => {
  it('acknowledges finalized and voided invoices without a word to Stripe, even for linked organizations', async () => {
    const tenant = await createTenant(host.grpcAddress);
    expect(dataOf(await graphql('mutation($o: ID!) { setStripeCustomer(organizationId: $o, customerId: "cus_Offline") { customerId } }', { o: tenant.organizationId }, operator)))
      .toEqual({ setStripeCustomer: { customerId: 'cus_Offline' } });
    await rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: tenant.organizationId, metric: 'api_calls', unitPrice: '1' }));
    const now = new Date();
    const { invoice } = await rpc.call(BillingRpc.generateInvoice, {
      organizationId: tenant.organizationId,
      periodStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
      periodEnd: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
    });
    await rpc.call(BillingRpc.finalizeInvoice, { invoiceId: invoice!.id });
    const event = new CloudEvent({ type: 'dev.polaris.invoice.finalized', source: '/test', data: { orgId: tenant.organizationId, invoiceId: invoice!.id } });
    await expect(host.deliver('send-invoice-to-stripe', event)).resolves.toBeUndefined();
    await rpc.call(BillingRpc.voidInvoice, { invoiceId: invoice!.id, reason: 'Billed in error' });
    const voided = new CloudEvent({ type: 'dev.polaris.invoice.voided', source: '/test', data: { orgId: tenant.organizationId, invoiceId: invoice!.id } });
    await expect(host.deliver('void-invoice-in-stripe', voided)).resolves.toBeUndefined();
    expect(fake.requests).toEqual([]);
    expect(await db.sql`select 1 from payments.stripe_invoices`).toHaveLength(0);
  });

  it('needs the customer named to link an organization', async () => {
    const tenant = await createTenant(host.grpcAddress);
    const { body } = await graphql('mutation($o: ID!) { setStripeCustomer(organizationId: $o) { customerId } }', { o: tenant.organizationId }, operator);
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(body.errors[0].extensions.fields).toEqual([{ field: 'customerId', message: expect.stringContaining('STRIPE_SECRET_KEY') }]);
    expect(fake.requests).toEqual([]);
  });

  it('answers POST /stripe/webhook with 404 and how to turn it on, signed or not', async () => {
    const { body, signature } = signedWebhook(stripeEvent('invoice.paid', { id: 'in_Whatever', object: 'invoice' }), 'whsec_any_secret_at_all_000000');
    const response = await fetch(`${host.http}/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'stripe_webhooks_off', message: expect.stringContaining('set STRIPE_WEBHOOK_SECRET') } });
  });
});
