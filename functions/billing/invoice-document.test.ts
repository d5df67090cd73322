/**
 * `GET /invoices/<id>.pdf` against the real host: an invoice priced from
 * ingested usage, fetched as a PDF by its organization (API key or JWT) and
 * by the operator, and refused to everyone else without saying it exists.
 */
import { CloudEvent } from 'cloudevents';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService as BillingRpc, type Invoice } from '../../proto/gen/polaris/billing/v1/billing.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { rpcClient, setPlanRequest, testAdminToken } from '../../test/support/grpc.js';
import { bundlePath } from '../../scripts/build.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';
import { readPdf } from '../../test/support/pdf.js';
import { spawnBundleOnFreePort } from '../../test/support/process.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

const jwtSecret = 'test-jwt-secret-that-is-long-enough-0123456789';
const customerName = 'Zürich Ωmega Ltd — Москва';

let db: TestDatabase;
let host: TestHost;
let rpc: ReturnType<typeof rpcClient>;
let tenant: TestTenant;
let other: TestTenant;
let draft: Invoice;

const now = new Date();
const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
const lastDay = new Date(nextMonth.getTime() - 24 * 60 * 60 * 1000);

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({
    databaseUrl: db.url,
    env: { POLARIS_JWT_SECRET: jwtSecret, POLARIS_SELLER_NAME: 'Polaris Metering GmbH', POLARIS_SELLER_ADDRESS: 'Bahnhofstraße 1\\n8001 Zürich' },
  });
  rpc = rpcClient(host.grpcAddress);
  tenant = await createTenant(host.grpcAddress, customerName);
  other = await createTenant(host.grpcAddress, 'Other Org');
  await rpc.call(BillingRpc.setPlan, setPlanRequest({ organizationId: tenant.organizationId, name: 'API calls', metric: 'api_calls', unitPrice: '0.002', freeQuota: '1000' }));
  const ingested = await fetch(`${host.http}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
    body: JSON.stringify({ metric: 'api_calls', quantity: 1200 }),
  });
  expect(ingested.status).toBe(202);
  await host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: { orgId: tenant.organizationId } }));
  const period = { organizationId: tenant.organizationId, periodStart: monthStart.toISOString(), periodEnd: nextMonth.toISOString() };
  draft = (await rpc.call(BillingRpc.generateInvoice, period)).invoice!;
  expect(draft).toMatchObject({ status: 'draft', amount: '0.40', currency: 'USD' });
});

afterAll(async () => {
  rpc?.close();
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

const fetchPdf = (id: string, headers: Record<string, string> = {}) => fetch(`${host.http}/invoices/${id}.pdf`, { headers });
const organizationJwt = (organizationId: string) =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(organizationId).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(jwtSecret));

async function document(response: Response) {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/pdf');
  expect(response.headers.get('cache-control')).toBe('private, no-store');
  const pdf = Buffer.from(await response.arrayBuffer());
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  return readPdf(pdf);
}

describe('GET /invoices/<id>.pdf', () => {
  it('gives the organization its draft: seller, customer in its own scripts, period, lines and total', async () => {
    const response = await fetchPdf(draft.id, { 'x-api-key': tenant.apiKey });
    expect(response.headers.get('content-disposition')).toBe(`inline; filename="${draft.id}.pdf"`);
    const pdf = await document(response);
    expect(pdf.info).toMatchObject({ Title: 'Draft invoice', Author: 'Polaris Metering GmbH', Subject: `Draft invoice for ${customerName}` });
    expect(pdf.pages).toBe(1);
    const text = pdf.text.flat();
    for (const expected of ['Draft invoice', 'Polaris Metering GmbH', 'Bahnhofstraße 1', '8001 Zürich', customerName, draft.id, 'USD']) expect(text).toContain(expected);
    expect(text).toContain(`${monthStart.toISOString().slice(0, 10)} – ${lastDay.toISOString().slice(0, 10)}`);
    // The line: description, billable quantity, unit price, amount as the RPC wrote them; then the total.
    expect(text).toEqual(expect.arrayContaining(['API calls', '1200 used, 1000 included', '200', '0.002', '0.40', 'Total', '0.40 USD']));
  });

  it('names a finalized invoice by its number, in the title and the file name', async () => {
    const finalized = (await rpc.call(BillingRpc.finalizeInvoice, { invoiceId: draft.id })).invoice!;
    expect(finalized.number).toMatch(/^INV-/);
    const response = await fetchPdf(draft.id, { authorization: `Bearer ${await organizationJwt(tenant.organizationId)}` });
    expect(response.headers.get('content-disposition')).toBe(`inline; filename="${finalized.number}.pdf"`);
    const pdf = await document(response);
    expect(pdf.info.Title).toBe(`Invoice ${finalized.number}`);
    expect(pdf.text.flat()).toEqual(expect.arrayContaining([`Invoice ${finalized.number}`, 'Issued', finalized.finalizedAt.slice(0, 10)]));
  });

  it('gives the operator any invoice', async () => {
    const pdf = await document(await fetchPdf(draft.id.toUpperCase(), { authorization: `Bearer ${testAdminToken}` }));
    expect(pdf.text.flat()).toContain(customerName);
  });

  it('answers another organization as if the invoice did not exist', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const theirs = await fetchPdf(draft.id, { 'x-api-key': other.apiKey });
    const missing = await fetchPdf(unknown, { 'x-api-key': other.apiKey });
    expect([theirs.status, missing.status]).toEqual([404, 404]);
    const [theirsBody, missingBody] = [await theirs.json(), await missing.json()];
    expect(theirsBody).toEqual({ error: { code: 'invoice_not_found', message: `invoice ${draft.id} does not exist` } });
    expect(missingBody).toEqual({ error: { code: 'invoice_not_found', message: `invoice ${unknown} does not exist` } });
    expect((await fetchPdf(draft.id, { authorization: `Bearer ${await organizationJwt(other.organizationId)}` })).status).toBe(404);
  });

  it('refuses callers without valid credentials with 401, and a malformed id with 400 naming id', async () => {
    const refused: Record<string, string>[] = [{}, { 'x-api-key': 'pol_nope' }, { authorization: 'Bearer not-a-token' }, { authorization: 'Basic abc' }];
    for (const headers of refused) {
      const response = await fetchPdf(draft.id, headers);
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
    const malformed = await fetchPdf('not-an-id', { 'x-api-key': tenant.apiKey });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: { code: 'invalid_argument', message: 'id: must be a UUID', fields: [{ field: 'id', message: 'must be a UUID' }] } });
    expect((await fetch(`${host.http}/invoices/${draft.id}`, { headers: { 'x-api-key': tenant.apiKey } })).status).toBe(404);
  });
});

describe('the invoice-document bundle, started alone', () => {
  it('renders the document with its own pdfkit and fonts, loaded by the first request', async () => {
    const fn = await spawnBundleOnFreePort(bundlePath('invoice-document'), {
      DATABASE_URL: db.url,
      POLARIS_GRPC_ADDRESS: host.grpcAddress,
      POLARIS_ADMIN_TOKEN: testAdminToken,
      POLARIS_SELLER_NAME: 'Polaris Metering GmbH',
    });
    try {
      const response = await fetch(`http://127.0.0.1:${fn.port}/invoices/${draft.id}.pdf`, { headers: { 'x-api-key': tenant.apiKey } });
      const pdf = await document(response);
      expect(pdf.text.flat()).toEqual(expect.arrayContaining(['Polaris Metering GmbH', customerName, 'Total', '0.40 USD']));
    } finally {
      fn.child.kill('SIGTERM');
      await fn.exited;
    }
  });
});
