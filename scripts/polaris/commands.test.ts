/**
 * The operator tool: every command's document is valid against the gateway's
 * schema, and the people and access commands work against a running Polaris
 * (the tool itself, a process as the operator runs it, with the admin token;
 * from its bundle, test/support/operator-tool.ts).
 */
import { buildSchema, getVariableValues, parse, validate, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../functions/gateway/schema.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { dataOf, graphqlAt, type Json } from '../../test/support/graphql.js';
import { testAdminToken } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';
import { runOperatorTool } from '../../test/support/operator-tool.js';
import { commands } from './commands.js';

const gatewaySchema = buildSchema(schema);

/** Flags that make every command's variables complete and well typed. */
const sampleValues: Record<string, string> = {
  id: '00000000-0000-4000-8000-000000000000',
  org: '00000000-0000-4000-8000-000000000000',
  user: '00000000-0000-4000-8000-000000000000',
  name: 'x',
  'external-id': 'cus_1',
  metric: 'api_calls',
  email: 'ana@example.com',
  role: 'admin',
  aggregation: 'sum',
  model: 'per_unit',
  window: 'day',
  from: '2026-01-01',
  to: '2026-02-01',
  reason: 'x',
  limit: '10',
  expires: '2027-01-01T00:00:00Z',
  budget: '100',
  feature: 'sso',
  soft: 'true',
  enabled: 'yes',
  customer: 'cus_Sample',
  collection: 'send_invoice',
  'days-until-due': '14',
  url: 'https://example.com/hooks',
  description: 'x',
  status: 'delivered',
  message: 'msg_0190a0a0a0a07000800000000000000a',
  'ingest-requests': '5000',
  'ingest-events': '50000',
  'graphql-cost': '2000',
};
const sampleLists: Record<string, string[]> = {
  scope: ['ingest', 'READ'],
  tier: ['10:1', '*:0.5'],
  where: ['region=eu'],
  percent: ['80', '100'],
  event: ['dev.polaris.invoice.*'],
};

describe('every command', () => {
  it.each(Object.keys(commands))('%s sends a document and variables the schema takes', (name) => {
    const command = commands[name]!;
    const values = Object.fromEntries(Object.keys(command.options).map((option) => [option, sampleValues[option]]));
    const lists = Object.fromEntries(Object.keys(command.options).filter((option) => sampleLists[option]).map((option) => [option, sampleLists[option]!]));
    const { query, variables } = command.request(values, lists);
    const document = parse(query);
    expect(validate(gatewaySchema, document)).toEqual([]);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const coerced = getVariableValues(gatewaySchema, operation.variableDefinitions ?? [], variables as Record<string, unknown>);
    expect(coerced.errors ?? []).toEqual([]);
  });
});

let db: TestDatabase;
let host: TestHost;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url });
});

afterAll(async () => {
  await host?.close();
  if (host) await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

/** The tool in a process of its own, as the operator runs it; its exit code and output. */
async function polaris(...args: string[]): Promise<{ status: number; stdout: string; stderr: string; json: () => Json }> {
  const done = await runOperatorTool(args, { POLARIS_URL: host.http, POLARIS_ADMIN_TOKEN: testAdminToken });
  return { ...done, json: () => JSON.parse(done.stdout) };
}

describe('people and access commands', () => {
  it('make organizations with external ids, scoped and service keys, invitations, members and resets, and read the audit log', async () => {
    const created = await polaris('org', 'create', '--name', 'Acme', '--external-id', 'cus_8812');
    expect(created.status, created.stderr).toBe(0);
    const { organization } = created.json();
    expect(organization.externalId).toBe('cus_8812');
    const org = ['--org', organization.id];

    const key = await polaris('key', 'create', ...org, '--name', 'Backend', '--scope', 'ingest', '--scope', 'READ', '--expires', '2099-01-01T00:00:00Z');
    expect(key.status, key.stderr).toBe(0);
    expect(key.json()).toMatchObject({ apiKey: expect.stringMatching(/^pol_/), scopes: ['INGEST', 'READ'] });
    const keys = (await polaris('key', 'list', ...org)).json();
    expect(keys).toContainEqual(expect.objectContaining({ name: 'Backend', scopes: ['INGEST', 'READ'], expiresAt: '2099-01-01T00:00:00.000Z', revokedAt: null }));

    const service = await polaris('service-key', 'create', '--name', 'Billing backend');
    expect(service.status, service.stderr).toBe(0);
    expect(service.json()).toMatchObject({ apiKey: expect.stringMatching(/^pol_/), scopes: ['INGEST_ANY'] });

    const invited = await polaris('user', 'invite', ...org, '--email', 'ana@example.com', '--role', 'admin');
    expect(invited.status, invited.stderr).toBe(0);
    expect(invited.json()).toMatchObject({ email: 'ana@example.com', role: 'ADMIN', token: expect.stringMatching(/^poli_/) });
    expect((await polaris('invitation', 'list', ...org)).json()).toEqual([expect.objectContaining({ email: 'ana@example.com', role: 'ADMIN' })]);

    // Ana accepts (through GraphQL, as the dashboard would) and becomes a member.
    const graphql = graphqlAt(host.http);
    const accepted = dataOf(
      await graphql('mutation($t: String!) { acceptInvitation(token: $t, password: "correct horse battery staple", name: "Ana") { user { id } } }', {
        t: invited.json().token,
      }),
    );
    const userId = accepted.acceptInvitation.user.id as string;
    expect((await polaris('member', 'list', ...org)).json()).toEqual([expect.objectContaining({ user: { id: userId, email: 'ana@example.com', name: 'Ana' }, role: 'ADMIN' })]);
    const demoted = await polaris('member', 'set-role', ...org, '--user', userId, '--role', 'viewer');
    expect(demoted.status, demoted.stderr).toBe(0);
    expect(demoted.json()).toMatchObject({ role: 'VIEWER' });

    const reset = await polaris('user', 'reset-password', '--email', 'ana@example.com');
    expect(reset.status, reset.stderr).toBe(0);
    expect(reset.json()).toMatchObject({ token: expect.stringMatching(/^polp_/), expiresAt: expect.any(String) });

    const removed = await polaris('member', 'remove', ...org, '--user', userId);
    expect(removed.status, removed.stderr).toBe(0);
    expect(removed.stdout.trim()).toBe('true');
    expect((await polaris('member', 'list', ...org)).json()).toEqual([]);

    const audit = await polaris('audit', 'list', ...org);
    expect(audit.status, audit.stderr).toBe(0);
    const actions = audit.json().map((entry: Json) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(['api_key.create', 'user.invite', 'invitation.accept', 'member.set_role', 'member.remove']));
    const creations = (await polaris('audit', 'list', '--action', 'organization.create')).json();
    expect(creations).toContainEqual(expect.objectContaining({ actor: 'operator', organizationId: organization.id }));
    const none = (await polaris('audit', 'list', ...org, '--from', '2099-01-01T00:00:00Z')).json();
    expect(none).toEqual([]);
  }, 120_000);

  it('answers bad flags with the field at fault, or the usage', async () => {
    const badScope = await polaris('key', 'create', '--org', '00000000-0000-4000-8000-000000000000', '--scope', 'everything');
    expect(badScope.status).toBe(1);
    expect(JSON.parse(badScope.stderr).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const badRole = await polaris('member', 'set-role', '--org', 'acme', '--user', 'x', '--role', 'VIEWER');
    expect(badRole.status).toBe(1);
    expect(JSON.parse(badRole.stderr).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const badLimit = await polaris('audit', 'list', '--limit', 'many');
    expect(badLimit.status).toBe(2);
    expect(badLimit.stderr).toContain('--limit takes a whole number');
  }, 60_000);
});

describe('alert and entitlement commands', () => {
  it('make, list, check and delete alerts and entitlements', async () => {
    const { organization } = (await polaris('org', 'create', '--name', 'Alerted')).json();
    const org = ['--org', organization.id];

    const alert = await polaris('alert', 'create', ...org, '--metric', 'api_calls', '--budget', '1000', '--percent', '50', '--percent', '90');
    expect(alert.status, alert.stderr).toBe(0);
    expect(alert.json()).toMatchObject({ metric: 'api_calls', budget: '1000', percentages: ['50', '90'], crossings: [] });
    const spend = (await polaris('alert', 'create', ...org, '--budget', '250')).json();
    expect(spend).toMatchObject({ metric: null, percentages: ['80', '100'] });
    expect((await polaris('alert', 'list', ...org)).json().map((a: Json) => a.id)).toEqual([alert.json().id, spend.id]);
    expect((await polaris('alert', 'delete', '--id', spend.id)).stdout.trim()).toBe('true');

    const metered = await polaris('entitlement', 'set', ...org, '--feature', 'api_calls', '--limit', '500', '--soft', 'true');
    expect(metered.status, metered.stderr).toBe(0);
    expect(metered.json()).toMatchObject({ feature: 'api_calls', type: 'METERED', metric: 'api_calls', limit: '500', soft: true });
    expect((await polaris('entitlement', 'set', ...org, '--feature', 'sso', '--enabled', 'false')).json()).toMatchObject({ type: 'BOOLEAN', enabled: false });
    expect((await polaris('entitlement', 'list', ...org)).json().map((e: Json) => e.feature)).toEqual(['api_calls', 'sso']);
    expect((await polaris('entitlement', 'check', ...org, '--feature', 'api_calls')).json()).toMatchObject({ hasAccess: true, usage: '0', limit: '500', soft: true });
    expect((await polaris('entitlement', 'check', ...org, '--feature', 'sso')).json()).toMatchObject({ hasAccess: false, type: 'BOOLEAN' });
    expect((await polaris('entitlement', 'delete', ...org, '--feature', 'sso')).stdout.trim()).toBe('true');

    const bad = await polaris('alert', 'create', ...org, '--budget=-1');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stderr).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: 'budget' })] });
    const badFlag = await polaris('entitlement', 'set', ...org, '--feature', 'sso', '--enabled', 'maybe');
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toContain('--enabled takes true or false');
  }, 120_000);
});

describe('stripe link', () => {
  it('links an organization to a named customer (Stripe off here, so nothing is asked of it), and says what is wrong with a flag', async () => {
    const { organization } = (await polaris('org', 'create', '--name', 'Linked')).json();
    const linked = await polaris('stripe', 'link', '--org', organization.id, '--customer', 'cus_Linked42', '--collection', 'send_invoice', '--days-until-due', '14');
    expect(linked.status, linked.stderr).toBe(0);
    expect(linked.json()).toEqual({ customerId: 'cus_Linked42', collectionMethod: 'SEND_INVOICE', daysUntilDue: 14 });
    expect((await polaris('org', 'get', '--id', organization.id)).json().stripe).toEqual({ customerId: 'cus_Linked42', collectionMethod: 'SEND_INVOICE', daysUntilDue: 14 });
    const badCollection = await polaris('stripe', 'link', '--org', organization.id, '--collection', 'cash');
    expect(badCollection.status).toBe(1);
    expect(JSON.parse(badCollection.stderr).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const badDays = await polaris('stripe', 'link', '--org', organization.id, '--days-until-due', 'soon');
    expect(badDays.status).toBe(2);
    expect(badDays.stderr).toContain('--days-until-due takes a whole number');
  }, 60_000);

  it('shows the raw events kept, month by month: this month and the next two, nothing dropped while retention is off', async () => {
    const storage = await polaris('usage', 'storage');
    expect(storage.status, storage.stderr).toBe(0);
    const month = (ahead: number) => {
      const now = new Date();
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + ahead, 1)).toISOString().slice(0, 7);
    };
    expect(storage.json()).toMatchObject({ retentionMonths: 0, retainedSince: null });
    expect(storage.json().months.map((m: Json) => m.month)).toEqual(expect.arrayContaining([month(0), month(1), month(2)]));
    expect(storage.json().months[0]).toEqual({ month: expect.stringMatching(/^\d{4}-\d{2}$/), approximateEvents: expect.any(Number), bytes: expect.any(Number) });
  }, 60_000);

  it('sends an invoice to Stripe on demand, saying why not while Stripe is off, and names a bad id', async () => {
    const off = await polaris('stripe', 'send', '--invoice', '00000000-0000-4000-8000-000000000000');
    expect(off.status).toBe(1);
    expect(JSON.parse(off.stderr).errors[0]).toMatchObject({ message: expect.stringContaining('Stripe is off'), extensions: { code: 'BAD_USER_INPUT' } });
    const badId = await polaris('stripe', 'send', '--invoice', 'nope');
    expect(badId.status).toBe(1);
    expect(JSON.parse(badId.stderr).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: 'id' })] });
  }, 60_000);
});
