/**
 * SetInvoicePaymentStatus over real PostgreSQL and NATS: what a payment
 * provider reports of a finalized invoice, forward only, each move announced
 * through billing's outbox; drafts and bad input refused.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService as BillingRpc } from '../../proto/gen/polaris/billing/v1/billing.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { grpcError, rpcClient, setPlanRequest } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream, waitForStream } from '../../test/support/nats.js';
import { createTenant } from '../../test/support/tenants.js';

let db: TestDatabase;
let host: TestHost;
let rpc: ReturnType<typeof rpcClient>;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url });
  rpc = rpcClient(host.grpcAddress);
});

afterAll(async () => {
  rpc?.close();
  await host?.close();
  if (host) await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

const now = new Date();
// Terms apply from the current period on.
const thisMonth = {
  periodStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
  periodEnd: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
};

async function draftInvoice() {
  const tenant = await createTenant(host.grpcAddress);
  await rpc.call(BillingRpc.setBillingTerms, { organizationId: tenant.organizationId, timeZone: '', recurringFee: '49.99', recurringFeeName: 'Platform', minimum: '', currency: '' });
  await rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: tenant.organizationId, metric: 'api_calls', unitPrice: '1' }));
  return (await rpc.call(BillingRpc.generateInvoice, { organizationId: tenant.organizationId, ...thisMonth })).invoice!;
}

const setStatus = (invoiceId: string, paymentStatus: string) => rpc.call(BillingRpc.setInvoicePaymentStatus, { invoiceId, paymentStatus });

describe('SetInvoicePaymentStatus', () => {
  it('moves a finalized invoice forward only, keeps it finalized, and announces each move', async () => {
    const draft = await draftInvoice();
    expect(draft.paymentStatus).toBe('');
    await rpc.call(BillingRpc.finalizeInvoice, { invoiceId: draft.id });

    const failed = await setStatus(draft.id, 'payment_failed');
    expect(failed).toMatchObject({ changed: true, invoice: { status: 'finalized', paymentStatus: 'payment_failed', amount: '49.99' } });
    expect((await setStatus(draft.id, 'payment_failed')).changed).toBe(false);
    expect((await setStatus(draft.id, 'paid')).invoice).toMatchObject({ status: 'finalized', paymentStatus: 'paid' });
    // A late report of the failure, or a write-off after the payment, says nothing new.
    for (const late of ['payment_failed', 'uncollectible']) expect(await setStatus(draft.id, late)).toMatchObject({ changed: false, invoice: { paymentStatus: 'paid' } });
    expect((await rpc.call(BillingRpc.getInvoice, { invoiceId: draft.id })).invoice).toMatchObject({ status: 'finalized', paymentStatus: 'paid' });

    const events = await waitForStream(host.natsUrl, host.stream.stream, (all) => all.some((e) => e.event.type === 'dev.polaris.invoice.paid' && e.event.data.invoiceId === draft.id));
    const mine = events.filter((e) => e.event.data.invoiceId === draft.id && /payment_failed|paid|uncollectible/.test(e.event.type));
    expect(mine.map((e) => e.event.type)).toEqual(['dev.polaris.invoice.payment_failed', 'dev.polaris.invoice.paid']);
    expect(mine[1]!.event.data).toMatchObject({ orgId: draft.organizationId, status: 'finalized', paymentStatus: 'paid', amount: '49.99', number: expect.stringMatching(/^INV-/) });
    const updates = events.filter((e) => e.event.type === 'dev.polaris.invoice.updated' && e.event.data.invoiceId === draft.id);
    expect(updates.at(-1)!.event.data).toMatchObject({ status: 'finalized', paymentStatus: 'paid' });
  });

  it('lets a write-off be paid after all', async () => {
    const draft = await draftInvoice();
    await rpc.call(BillingRpc.finalizeInvoice, { invoiceId: draft.id });
    expect((await setStatus(draft.id, 'uncollectible')).invoice!.paymentStatus).toBe('uncollectible');
    expect((await setStatus(draft.id, 'payment_failed')).changed).toBe(false);
    expect((await setStatus(draft.id, 'paid')).invoice!.paymentStatus).toBe('paid');
  });

  it('refuses drafts, unknown invoices, unknown statuses and callers without the operator token', async () => {
    const draft = await draftInvoice();
    const onDraft = await grpcError(setStatus(draft.id, 'paid'));
    expect(onDraft.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(onDraft.details).toContain('draft');
    expect((await grpcError(setStatus('00000000-0000-4000-8000-000000000000', 'paid'))).code).toBe(grpc.status.NOT_FOUND);
    const bad = await grpcError(setStatus('nope', 'settled'));
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.details).toContain('invoice_id:');
    expect(bad.details).toContain('payment_status:');
    const anonymous = rpcClient(host.grpcAddress, { adminToken: null });
    expect((await grpcError(anonymous.call(BillingRpc.setInvoicePaymentStatus, { invoiceId: draft.id, paymentStatus: 'paid' }))).code).toBe(grpc.status.UNAUTHENTICATED);
    anonymous.close();
  });
});
