/**
 * The stand-in for api.stripe.com, through the official package: keys
 * honoured as Stripe honours them, Stripe's error shapes, and webhooks
 * signed so that the package verifies them.
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeForm, signedWebhook, startFakeStripe, stripeEvent, type FakeStripe } from './fake-stripe.js';

let fake: FakeStripe;
let stripe: Stripe;

beforeAll(async () => {
  fake = await startFakeStripe();
  const { hostname, port } = new URL(fake.url);
  stripe = new Stripe('sk_test_fake', { host: hostname, port, protocol: 'http', maxNetworkRetries: 0 });
});

afterAll(() => fake?.close());

describe('the fake Stripe', () => {
  it('answers a repeated idempotency key with the first answer, and refuses the key with other parameters', async () => {
    const first = await stripe.customers.create({ name: 'Acme' }, { idempotencyKey: 'k-1' });
    const again = await stripe.customers.create({ name: 'Acme' }, { idempotencyKey: 'k-1' });
    expect(again.id).toBe(first.id);
    expect(fake.customers.size).toBe(1);
    expect(fake.requestsTo('POST', '/v1/customers').map((r) => r.replayed)).toEqual([false, true]);
    await expect(stripe.customers.create({ name: 'Globex' }, { idempotencyKey: 'k-1' })).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('records bodies as Stripe receives them, form-encoded, and answers with its error shapes', async () => {
    const customer = await stripe.customers.create({ name: 'Initech' });
    const invoice = await stripe.invoices.create({ customer: customer.id, currency: 'usd', metadata: { polaris_invoice_id: 'x' } });
    await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 1234, currency: 'usd', period: { start: 1, end: 2 } });
    expect(fake.requestsTo('POST', '/v1/invoiceitems')[0]!.body).toMatchObject({ amount: '1234', period: { start: '1', end: '2' } });
    expect(await stripe.invoices.finalizeInvoice(invoice.id)).toMatchObject({ status: 'open', total: 1234 });
    const missing = await stripe.customers.retrieve('cus_Nobody').catch((err: unknown) => err);
    expect(missing).toMatchObject({ type: 'StripeInvalidRequestError', code: 'resource_missing', statusCode: 404 });
    expect(decodeForm('a=1&b[c]=2&d[0]=x')).toEqual({ a: '1', b: { c: '2' }, d: { 0: 'x' } });
  });

  it('signs webhooks as Stripe does', () => {
    const { body, signature } = signedWebhook(stripeEvent('invoice.paid', { id: 'in_1', object: 'invoice' }, 'evt_1'), 'whsec_fake_0123456789');
    expect(Stripe.webhooks.constructEvent(body, signature, 'whsec_fake_0123456789')).toMatchObject({ id: 'evt_1', type: 'invoice.paid' });
    expect(() => Stripe.webhooks.constructEvent(body, signature, 'whsec_other_0123456789')).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });
});
