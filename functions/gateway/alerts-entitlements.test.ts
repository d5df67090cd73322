/**
 * Usage alerts and entitlements through the GraphQL gateway, over the real
 * services: a READ key reads its entitlements and cannot set them; a MANAGE
 * key makes and deletes its own organization's alerts, never another's; the
 * operator sets entitlements; a limit reached turns `entitlement`; bad input
 * is BAD_USER_INPUT naming the argument, and stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateAndDeliver } from '../../test/support/aggregation.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { codes, dataOf, graphqlAt, operator, type Graphql, type Json } from '../../test/support/graphql.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

let db: TestDatabase;
let host: TestHost;
let graphql: Graphql;
let acme: TestTenant;
let globex: TestTenant;
let readKey: string;
let manageKey: string;

const keyWith = async (organizationId: string, scope: string) =>
  dataOf(await graphql(`mutation($o: ID!) { createApiKey(organizationId: $o, scopes: [${scope}]) { apiKey } }`, { o: organizationId }, operator)).createApiKey.apiKey as string;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url });
  graphql = graphqlAt(host.http);
  acme = await createTenant(host.grpcAddress, 'Acme');
  globex = await createTenant(host.grpcAddress, 'Globex');
  readKey = await keyWith(acme.organizationId, 'READ');
  manageKey = await keyWith(acme.organizationId, 'MANAGE');
});

afterAll(async () => {
  await host?.close();
  await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

const fieldsOf = (body: Json): string[] => (body.errors ?? []).flatMap((e: Json) => (e.extensions.fields ?? []).map((f: Json) => f.field));

const createAlert = `mutation($o: ID!, $metric: String, $budget: Decimal!, $percentages: [Decimal!]) {
  createUsageAlert(organizationId: $o, metric: $metric, budget: $budget, percentages: $percentages) { id metric budget percentages crossings { percent threshold value periodStart } }
}`;
const setEntitlement = `mutation($o: ID!, $feature: String!, $metric: String, $limit: Decimal, $soft: Boolean, $enabled: Boolean) {
  setEntitlement(organizationId: $o, feature: $feature, metric: $metric, limit: $limit, soft: $soft, enabled: $enabled) { id feature type enabled metric limit soft }
}`;
const entitlementFields = 'feature hasAccess type usage limit soft overLimit resetsAt';

async function ingest(tenant: TestTenant, quantity: number) {
  const response = await fetch(`${host.http}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': tenant.apiKey },
    body: JSON.stringify({ metric: 'api_calls', quantity }),
  });
  expect(response.status).toBe(202);
}

describe('usage alerts', () => {
  it('a MANAGE key makes and deletes its own organization’s, and reaches no other’s', async () => {
    const made = await graphql(createAlert, { o: acme.organizationId, metric: 'api_calls', budget: '1000', percentages: [50, '75.5'] }, { apiKey: manageKey });
    const alert = dataOf(made).createUsageAlert;
    expect(alert).toMatchObject({ metric: 'api_calls', budget: '1000', percentages: ['50', '75.5'], crossings: [] });

    const elsewhere = await graphql(createAlert, { o: globex.organizationId, budget: '5' }, { apiKey: manageKey });
    expect(codes(elsewhere.body)).toEqual(['FORBIDDEN']);
    const globexAlert = dataOf(await graphql(createAlert, { o: globex.organizationId, budget: '5' }, operator)).createUsageAlert;
    const notTheirs = await graphql('mutation($id: ID!) { deleteUsageAlert(id: $id) }', { id: globexAlert.id }, { apiKey: manageKey });
    expect(codes(notTheirs.body)).toEqual(['NOT_FOUND']);
    expect(dataOf(await graphql('query($o: ID!) { organization(id: $o) { usageAlerts { id } } }', { o: globex.organizationId }, operator)).organization.usageAlerts).toEqual([
      { id: globexAlert.id },
    ]);

    // A READ key lists them and cannot make one.
    expect(dataOf(await graphql('{ usageAlerts { id budget } }', {}, { apiKey: readKey })).usageAlerts).toEqual([{ id: alert.id, budget: '1000' }]);
    expect(codes((await graphql(createAlert, { o: acme.organizationId, budget: '5' }, { apiKey: readKey })).body)).toEqual(['FORBIDDEN']);

    expect(dataOf(await graphql('mutation($id: ID!) { deleteUsageAlert(id: $id) }', { id: alert.id }, { apiKey: manageKey })).deleteUsageAlert).toBe(true);
    expect(dataOf(await graphql('{ usageAlerts { id } }', {}, { apiKey: readKey })).usageAlerts).toEqual([]);
  });

  it('show the thresholds they reached', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Crossing');
    await graphql(createAlert, { o: tenant.organizationId, metric: 'api_calls', budget: '10' }, operator);
    await ingest(tenant, 9);
    await aggregateAndDeliver(host, tenant.organizationId);
    const { usageAlerts } = dataOf(await graphql('{ usageAlerts { budget crossings { percent threshold value } } }', {}, { apiKey: tenant.apiKey }));
    expect(usageAlerts).toEqual([{ budget: '10', crossings: [{ percent: '80', threshold: '8', value: '9' }] }]);
  });

  it.each([
    [{ budget: '-1' }, 'budget'],
    [{ budget: 0 }, 'budget'],
    [{ percentages: [0] }, 'percentages[0]'],
    [{ percentages: [80, 80] }, 'percentages[1]'],
    [{ metric: 'API calls' }, 'metric'],
    [{ o: 'acme' }, 'organizationId'],
  ])('refuses %o with BAD_USER_INPUT naming %s, storing nothing', async (change, field) => {
    const tenant = await createTenant(host.grpcAddress, 'Bad');
    const { body } = await graphql(createAlert, { o: tenant.organizationId, budget: '100', ...change }, operator);
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(body)).toContain(field);
    expect(dataOf(await graphql('{ usageAlerts { id } }', {}, { apiKey: tenant.apiKey })).usageAlerts).toEqual([]);
  });

  it('refuses an id that is no UUID naming id', async () => {
    const { body } = await graphql('mutation { deleteUsageAlert(id: "alert-1") }', {}, operator);
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(body)).toEqual(['id']);
  });
});

describe('entitlements', () => {
  it('are set by the operator only, and read by a READ key', async () => {
    const denied = await graphql(setEntitlement, { o: acme.organizationId, feature: 'sso' }, { apiKey: manageKey });
    expect(codes(denied.body)).toEqual(['FORBIDDEN']);
    expect(codes((await graphql(setEntitlement, { o: acme.organizationId, feature: 'sso' }, { apiKey: readKey })).body)).toEqual(['FORBIDDEN']);

    expect(dataOf(await graphql(setEntitlement, { o: acme.organizationId, feature: 'sso' }, operator)).setEntitlement).toMatchObject({
      feature: 'sso',
      type: 'BOOLEAN',
      enabled: true,
      metric: null,
      limit: null,
    });
    const { entitlement, me } = dataOf(await graphql(`{ entitlement(metric: "sso") { ${entitlementFields} } me { entitlements { feature type access { hasAccess } } } }`, {}, { apiKey: readKey }));
    expect(entitlement).toEqual({ feature: 'sso', hasAccess: true, type: 'BOOLEAN', usage: null, limit: null, soft: false, overLimit: false, resetsAt: null });
    expect(me.entitlements).toEqual([{ feature: 'sso', type: 'BOOLEAN', access: { hasAccess: true } }]);
    expect(dataOf(await graphql(`{ entitlement(metric: "not_granted") { hasAccess type } }`, {}, { apiKey: readKey })).entitlement).toEqual({ hasAccess: false, type: null });

    await graphql(setEntitlement, { o: acme.organizationId, feature: 'sso', enabled: false }, operator);
    expect(dataOf(await graphql('{ entitlement(metric: "sso") { hasAccess } }', {}, { apiKey: readKey })).entitlement.hasAccess).toBe(false);
    expect(dataOf(await graphql('mutation($o: ID!) { deleteEntitlement(organizationId: $o, feature: "sso") }', { o: acme.organizationId }, operator)).deleteEntitlement).toBe(true);
    expect(codes((await graphql('mutation($o: ID!) { deleteEntitlement(organizationId: $o, feature: "sso") }', { o: acme.organizationId }, { apiKey: manageKey })).body)).toEqual([
      'FORBIDDEN',
    ]);
  });

  it('turn a metered limit within a second of the aggregation that reaches it', async () => {
    const tenant = await createTenant(host.grpcAddress, 'Metered');
    dataOf(await graphql(setEntitlement, { o: tenant.organizationId, feature: 'api_calls', limit: 10 }, operator));
    const ask = async () => dataOf(await graphql(`{ entitlement(metric: "api_calls") { ${entitlementFields} } }`, {}, { apiKey: tenant.apiKey })).entitlement;
    const before = await ask();
    expect(before).toMatchObject({ hasAccess: true, type: 'METERED', usage: '0', limit: '10', overLimit: false });
    expect(new Date(before.resetsAt).getTime()).toBeGreaterThan(Date.now());

    await ingest(tenant, 10);
    await aggregateAndDeliver(host, tenant.organizationId);
    const started = Date.now();
    let after = await ask();
    while (after.hasAccess && Date.now() - started < 3000) after = await ask();
    expect(after).toMatchObject({ hasAccess: false, usage: '10', overLimit: true });
    expect(Date.now() - started).toBeLessThan(1500);

    const operatorView = dataOf(await graphql(`query($o: ID!) { organization(id: $o) { entitlement(feature: "api_calls") { hasAccess usage } } }`, { o: tenant.organizationId }, operator));
    expect(operatorView.organization.entitlement).toEqual({ hasAccess: false, usage: '10' });
  });

  it.each([
    [{ feature: 'Single Sign-On' }, 'feature'],
    [{ metric: 'emails' }, 'limit'],
    [{ limit: '-3' }, 'limit'],
    [{ limit: 5, enabled: false }, 'enabled'],
    [{ o: 'globex' }, 'organizationId'],
  ])('refuses %o with BAD_USER_INPUT naming %s, storing nothing', async (change, field) => {
    const tenant = await createTenant(host.grpcAddress, 'Bad');
    const { body } = await graphql(setEntitlement, { o: tenant.organizationId, feature: 'sso', ...change }, operator);
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(body)).toContain(field);
    expect(dataOf(await graphql('{ me { entitlements { feature } } }', {}, { apiKey: tenant.apiKey })).me.entitlements).toEqual([]);
  });

  it('refuses a feature key that is none, naming the argument', async () => {
    const { body } = await graphql('{ entitlement(metric: "Not A Key") { hasAccess } }', {}, { apiKey: readKey });
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(body)).toEqual(['metric']);
  });
});
