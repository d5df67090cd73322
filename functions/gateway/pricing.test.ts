/**
 * Pricing over time through the GraphQL gateway, over the real services:
 * prices in every model and per property value, read back as set; v1's
 * setPlan; price history; billing terms; numbered finals, voids credited on
 * the next open invoice; FORBIDDEN for tenants; bad input naming the field.
 */
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { testAdminToken } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

let db: TestDatabase;
let host: TestHost;
let acme: TestTenant;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url });
  acme = await createTenant(host.grpcAddress, 'Acme');
});

afterAll(async () => {
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Credentials = { apiKey?: string; bearer?: string };

async function graphql(query: string, variables: object = {}, credentials: Credentials = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credentials.apiKey) headers['x-api-key'] = credentials.apiKey;
  if (credentials.bearer) headers.authorization = `Bearer ${credentials.bearer}`;
  const response = await fetch(`${host.http}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: (await response.json()) as Json };
}

const operator: Credentials = { bearer: testAdminToken };
const codes = (body: Json) => (body.errors ?? []).map((e: Json) => e.extensions.code);
const fieldsOf = (body: Json) => (body.errors ?? []).flatMap((e: Json) => (e.extensions.fields ?? []).map((f: Json) => f.field));

async function aggregate() {
  await host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: {} }));
}

const planFields = 'id name metric model unitPrice freeQuota tiers { upTo unitPrice flatPrice } packageSize packagePrice where { key value } effectiveFrom';
const setPlan = `mutation($o: ID!, $name: String!, $metric: String!, $unitPrice: Decimal, $freeQuota: Decimal, $model: PricingModel, $tiers: [PriceTierInput!],
  $packageSize: Decimal, $packagePrice: Decimal, $where: [PropertyFilter!], $effectiveFrom: String) {
  setPlan(organizationId: $o, name: $name, metric: $metric, unitPrice: $unitPrice, freeQuota: $freeQuota, model: $model, tiers: $tiers,
    packageSize: $packageSize, packagePrice: $packagePrice, where: $where, effectiveFrom: $effectiveFrom) { ${planFields} }
}`;
const setTerms = `mutation($o: ID!, $timeZone: String, $fee: Decimal, $feeName: String, $minimum: Decimal, $currency: String) {
  setBillingTerms(organizationId: $o, timeZone: $timeZone, recurringFee: $fee, recurringFeeName: $feeName, minimum: $minimum, currency: $currency) {
    timeZone recurringFee recurringFeeName minimum currency
  }
}`;
const invoiceFields = 'id status number periodStart periodEnd amount finalizedAt voidReason lineItems { kind description metric amount forPeriodStart forPeriodEnd }';

/** The first instant of the UTC month `offset` months from this one. */
function monthStart(offset: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1)).toISOString();
}

async function organization(name: string): Promise<string> {
  const { body } = await graphql('mutation($n: String!) { createOrganization(name: $n) { organization { id } } }', { n: name }, operator);
  return body.data.createOrganization.organization.id;
}

describe('prices', () => {
  it('are set in each model and read back as set', async () => {
    const o = acme.organizationId;
    const perUnit = await graphql(setPlan, { o, name: 'API calls', metric: 'api_calls', unitPrice: '0.002', freeQuota: '1000' }, operator);
    expect(perUnit.body.data.setPlan).toMatchObject({
      model: 'PER_UNIT',
      unitPrice: '0.002',
      freeQuota: '1000',
      tiers: [],
      packageSize: null,
      packagePrice: null,
      where: [],
      effectiveFrom: monthStart(0),
    });
    const tiers = [
      { upTo: '1000', unitPrice: '0.01' },
      { upTo: '10000', unitPrice: '0.005', flatPrice: '2' },
      { unitPrice: '0.001' },
    ];
    for (const model of ['GRADUATED', 'VOLUME']) {
      const { body } = await graphql(setPlan, { o, name: model, metric: `${model.toLowerCase()}_units`, model, tiers }, operator);
      expect(body.data.setPlan).toMatchObject({
        model,
        unitPrice: '0',
        freeQuota: '0',
        tiers: [
          { upTo: '1000', unitPrice: '0.01', flatPrice: '0' },
          { upTo: '10000', unitPrice: '0.005', flatPrice: '2' },
          { upTo: null, unitPrice: '0.001', flatPrice: '0' },
        ],
      });
    }
    const pack = await graphql(setPlan, { o, name: 'SMS', metric: 'sms', model: 'PACKAGE', packageSize: 100, packagePrice: '1.50', freeQuota: 50 }, operator);
    expect(pack.body.data.setPlan).toMatchObject({ model: 'PACKAGE', packageSize: '100', packagePrice: '1.5', freeQuota: '50', tiers: [] });

    const { body } = await graphql(`query($o: ID!) { organization(id: $o) { plans { ${planFields} } } }`, { o }, operator);
    const byMetric = Object.fromEntries(body.data.organization.plans.map((plan: Json) => [plan.metric, plan]));
    expect(byMetric).toEqual({
      api_calls: perUnit.body.data.setPlan,
      graduated_units: expect.objectContaining({ model: 'GRADUATED' }),
      volume_units: expect.objectContaining({ model: 'VOLUME' }),
      sms: pack.body.data.setPlan,
    });
  });

  it('are set per property value, on a metric whose meter groups by the key', async () => {
    const meter = await graphql('mutation { createMeter(metric: "tokens", name: "Tokens", aggregation: SUM, groupBy: ["model"]) { metric } }', {}, operator);
    expect(meter.body.errors).toBeUndefined();
    const where = [{ key: 'model', values: ['gpt-4o', 'gpt-4'] }];
    const { body } = await graphql(setPlan, { o: acme.organizationId, name: 'GPT-4 tokens', metric: 'tokens', unitPrice: '0.00003', where }, operator);
    expect(body.data.setPlan.where).toEqual([
      { key: 'model', value: 'gpt-4' },
      { key: 'model', value: 'gpt-4o' },
    ]);
    // A key the meter does not group by cannot filter its usage.
    const bad = await graphql(setPlan, { o: acme.organizationId, name: 'x', metric: 'tokens', unitPrice: 1, where: [{ key: 'colour', values: ['red'] }] }, operator);
    expect(codes(bad.body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(bad.body)).toContain('where');
  });

  it('keep working as v1 set them: unitPrice and freeQuota, from the current period', async () => {
    const { body } = await graphql(
      'mutation($o: ID!) { setPlan(organizationId: $o, name: "Storage", metric: "storage_gb", unitPrice: "0.25", freeQuota: 10) { id metric unitPrice freeQuota model effectiveFrom } }',
      { o: acme.organizationId },
      operator,
    );
    expect(body.data.setPlan).toMatchObject({ metric: 'storage_gb', unitPrice: '0.25', freeQuota: '10', model: 'PER_UNIT', effectiveFrom: monthStart(0) });
  });

  it('change from a later period on, which the history shows and the current plans do not yet', async () => {
    const o = await organization('Changes');
    await graphql(setPlan, { o, name: 'API', metric: 'api_calls', unitPrice: '0.002' }, operator);
    const next = await graphql(setPlan, { o, name: 'API', metric: 'api_calls', unitPrice: '0.001', effectiveFrom: monthStart(1).slice(0, 10) }, operator);
    expect(next.body.data.setPlan).toMatchObject({ unitPrice: '0.001', effectiveFrom: monthStart(1) });

    const { body } = await graphql('query($o: ID!) { organization(id: $o) { plans { unitPrice } planHistory { unitPrice effectiveFrom } } }', { o }, operator);
    expect(body.data.organization.plans).toEqual([{ unitPrice: '0.002' }]);
    expect(body.data.organization.planHistory).toEqual([
      { unitPrice: '0.001', effectiveFrom: monthStart(1) },
      { unitPrice: '0.002', effectiveFrom: monthStart(0) },
    ]);
  });
});

describe('billing terms', () => {
  it('are set by the operator, each left out keeping its value, and read by the organization', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Termed');
    const o = tenant.organizationId;
    const defaults = await graphql('{ me { billingTerms { timeZone recurringFee recurringFeeName minimum currency } } }', {}, { apiKey: tenant.apiKey });
    expect(defaults.body.data.me.billingTerms).toEqual({ timeZone: 'UTC', recurringFee: '0', recurringFeeName: 'Subscription', minimum: '0', currency: null });

    const set = await graphql(setTerms, { o, timeZone: 'Europe/Berlin', fee: '49', feeName: 'Platform fee', currency: 'eur' }, operator);
    expect(set.body.data.setBillingTerms).toEqual({ timeZone: 'Europe/Berlin', recurringFee: '49', recurringFeeName: 'Platform fee', minimum: '0', currency: 'EUR' });
    const minimum = await graphql(setTerms, { o, minimum: '100' }, operator);
    expect(minimum.body.data.setBillingTerms).toEqual({ timeZone: 'Europe/Berlin', recurringFee: '49', recurringFeeName: 'Platform fee', minimum: '100', currency: 'EUR' });

    // A plan joins the terms' currency; the draft bills the fee and tops it up to the minimum.
    const plan = await graphql(setPlan, { o, name: 'API', metric: 'api_calls', unitPrice: '0.01' }, operator);
    expect(plan.body.errors).toBeUndefined();
    const { body } = await graphql(`{ me { billingTerms { minimum } invoices { currency amount lineItems { kind description amount } } } }`, {}, { apiKey: tenant.apiKey });
    expect(body.data.me.billingTerms.minimum).toBe('100');
    expect(body.data.me.invoices[0]).toMatchObject({
      currency: 'EUR',
      amount: '100.00',
      lineItems: expect.arrayContaining([
        expect.objectContaining({ kind: 'fee', description: expect.stringContaining('Platform fee'), amount: '49.00' }),
        expect.objectContaining({ kind: 'minimum', amount: '51.00' }),
      ]),
    });
  });
});

describe('invoices', () => {
  it('are numbered when finalized; a voided one is credited on the next open invoice', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Voided');
    const o = tenant.organizationId;
    await graphql(setPlan, { o, name: 'API', metric: 'api_calls', unitPrice: '0.5', effectiveFrom: monthStart(-1) }, operator);
    const lastDay = new Date(new Date(monthStart(0)).getTime() - 3_600_000).toISOString();
    await graphql('mutation($t: String!) { recordUsage(metric: "api_calls", quantity: 10, timestamp: $t) }', { t: lastDay }, { apiKey: tenant.apiKey });
    await aggregate();

    const generated = await graphql(
      `mutation($o: ID!, $s: String!, $e: String!) { generateInvoice(organizationId: $o, periodStart: $s, periodEnd: $e) { ${invoiceFields} } }`,
      { o, s: monthStart(-1), e: monthStart(0) },
      operator,
    );
    const invoice = generated.body.data.generateInvoice;
    expect(invoice).toMatchObject({ amount: '5.00' });
    // A draft cannot be voided (its number is not given yet, perhaps: the scheduled close may have finalized it).
    if (invoice.status === 'draft') {
      expect(invoice.number).toBeNull();
      const draft = await graphql('mutation($i: ID!) { voidInvoice(id: $i, reason: "wrong") { id } }', { i: invoice.id }, operator);
      expect(codes(draft.body)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(draft.body)).toEqual(['id']);
    }
    const finalized = await graphql(`mutation($i: ID!) { finalizeInvoice(id: $i) { ${invoiceFields} } }`, { i: invoice.id }, operator);
    expect(finalized.body.data.finalizeInvoice).toMatchObject({ status: 'finalized', number: expect.any(String), finalizedAt: expect.any(String), voidReason: null });

    const noReason = await graphql('mutation($i: ID!) { voidInvoice(id: $i, reason: "  ") { id } }', { i: invoice.id }, operator);
    expect(codes(noReason.body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(noReason.body)).toEqual(['reason']);

    const voided = await graphql(`mutation($i: ID!) { voidInvoice(id: $i, reason: "Billed at the wrong price") { ${invoiceFields} } }`, { i: invoice.id }, operator);
    expect(voided.body.data.voidInvoice).toMatchObject({ status: 'void', voidReason: 'Billed at the wrong price', number: finalized.body.data.finalizeInvoice.number });
    const again = await graphql('mutation($i: ID!) { voidInvoice(id: $i, reason: "twice") { id } }', { i: invoice.id }, operator);
    expect(fieldsOf(again.body)).toEqual(['id']);

    // The tenant sees it, and the credit on this month's draft, naming last month.
    const { body } = await graphql(`{ invoices { ${invoiceFields} } }`, {}, { apiKey: tenant.apiKey });
    const open = body.data.invoices.find((one: Json) => one.periodStart === monthStart(0));
    expect(open.status).toBe('draft');
    expect(open.lineItems).toContainEqual(
      expect.objectContaining({ kind: 'credit', amount: '-5.00', forPeriodStart: monthStart(-1), forPeriodEnd: monthStart(0), description: expect.any(String) }),
    );
    expect(body.data.invoices.find((one: Json) => one.id === invoice.id)).toMatchObject({ status: 'void', voidReason: 'Billed at the wrong price' });
  });

  it('are closed by closeInvoices once their period ended more than the grace time ago', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Closed');
    const o = tenant.organizationId;
    await graphql(setPlan, { o, name: 'API', metric: 'api_calls', unitPrice: '1', effectiveFrom: monthStart(-2) }, operator);
    const generated = await graphql(
      'mutation($o: ID!, $s: String!, $e: String!) { generateInvoice(organizationId: $o, periodStart: $s, periodEnd: $e) { id } }',
      { o, s: monthStart(-2), e: monthStart(-1) },
      operator,
    );
    const { id } = generated.body.data.generateInvoice;
    const closed = await graphql('mutation { closeInvoices { id status number } }', {}, operator);
    expect(closed.body.errors).toBeUndefined();
    const { body } = await graphql('{ invoices { id status number } }', {}, { apiKey: tenant.apiKey });
    expect(body.data.invoices.find((one: Json) => one.id === id)).toMatchObject({ status: 'finalized', number: expect.any(String) });
  });
});

describe('operator-only fields', () => {
  it('are FORBIDDEN to tenants, who change nothing', async () => {
    const o = acme.organizationId;
    const tenant = { apiKey: acme.apiKey };
    const attempts = [
      [setPlan, { o, name: 'x', metric: 'api_calls', model: 'VOLUME', tiers: [{ unitPrice: '0' }] }],
      [setTerms, { o, fee: '0', minimum: '0' }],
      ['mutation { voidInvoice(id: "00000000-0000-4000-8000-000000000000", reason: "x") { id } }', {}],
      ['mutation { closeInvoices { id } }', {}],
      ['{ me { planHistory { id } } }', {}],
    ] as const;
    for (const [query, variables] of attempts) expect(codes((await graphql(query, variables, tenant)).body), query).toEqual(['FORBIDDEN']);
    const { body } = await graphql('{ me { plans { metric unitPrice } } }', {}, tenant);
    expect(body.data.me.plans).toContainEqual({ metric: 'api_calls', unitPrice: '0.002' });
  });
});

describe('bad input gets BAD_USER_INPUT naming the field', () => {
  const o = () => acme.organizationId;
  it.each([
    ['tiers out of order', () => ({ o: o(), name: 'x', metric: 'x', model: 'GRADUATED', tiers: [{ upTo: 100, unitPrice: 1 }, { upTo: 50, unitPrice: 1 }, { unitPrice: 1 }] }), 'tiers[1].upTo'],
    ['a tier without upTo before the last', () => ({ o: o(), name: 'x', metric: 'x', model: 'VOLUME', tiers: [{ unitPrice: 1 }, { unitPrice: 1 }] }), 'tiers[0].upTo'],
    ['packageSize 0', () => ({ o: o(), name: 'x', metric: 'x', model: 'PACKAGE', packageSize: 0, packagePrice: 1 }), 'packageSize'],
    ['no unitPrice for PER_UNIT', () => ({ o: o(), name: 'x', metric: 'x' }), 'unitPrice'],
    ['effectiveFrom garbage', () => ({ o: o(), name: 'x', metric: 'x', unitPrice: 1, effectiveFrom: 'next month' }), 'effectiveFrom'],
    ['a filter without values', () => ({ o: o(), name: 'x', metric: 'x', unitPrice: 1, where: [{ key: 'model', values: [] }] }), 'where[0].values'],
    ['an organization id that is none', () => ({ o: 'acme', name: 'x', metric: 'x', unitPrice: 1 }), 'organizationId'],
  ])('setPlan with %s', async (_what, variables, field) => {
    const { body } = await graphql(setPlan, variables(), operator);
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(body)).toContain(field);
  });

  it('setPlan with a model that is none', async () => {
    const { status, body } = await graphql(setPlan, { o: o(), name: 'x', metric: 'x', model: 'TIERED' }, operator);
    expect(status).toBe(400);
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(body.errors[0].message).toContain('PricingModel');
  });

  it('setBillingTerms with a time zone that is none, or a negative minimum', async () => {
    const { body } = await graphql(setTerms, { o: o(), timeZone: 'Mars/Olympus_Mons', minimum: '-1' }, operator);
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(body)).toEqual(['timeZone', 'minimum']);
  });

  it('nothing was changed by any of them', async () => {
    const { body } = await graphql('query($o: ID!) { organization(id: $o) { plans { metric } billingTerms { timeZone minimum } } }', { o: o() }, operator);
    expect(body.data.organization.plans.map((plan: Json) => plan.metric)).not.toContain('x');
    expect(body.data.organization.billingTerms).toEqual({ timeZone: 'UTC', minimum: '0' });
  });
});
