/**
 * A GraphQL request's cost: added up from its fields before any runs,
 * refused over the limit (POLARIS_GRAPHQL_MAX_COST) with no RPC made, and
 * identical fields of a query fetched once. RPCs are counted by the real
 * services' own metric, grpc_server_handled_total.
 */
import { CloudEvent } from 'cloudevents';
import { buildSchema, parse, visit } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, defaults, loadRuntimeConfig } from '../../shared/config.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { codes, graphqlAt, type Graphql } from '../../test/support/graphql.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';
import { requestCost } from './cost.js';
import { fieldsWithoutCosts } from './field-costs.js';
import { graphqlLimits } from './limits.js';
import { resolvers } from './resolvers.js';
import { schema } from './schema.js';

/** A module of the dashboard's page (plain JavaScript and JSX, outside this project's type check): the fields and queries it exports. */
const dashboardModule = async (path: string) => (await import(/* @vite-ignore */ `../dashboard/web/${path}`)) as Record<string, string> & { dashboardQuery(metrics: string[]): string };

const cost = (query: string, variables: Record<string, unknown> = {}) => requestCost(parse(query), variables);
const fieldCount = (query: string) => {
  let fields = 0;
  visit(parse(query), { Field: () => void (fields += 1) });
  return fields;
};

describe('the cost of a request', () => {
  it('counts every field that calls a service, aliases and fragments included, and nothing for the rest', () => {
    expect(cost('{ a: usage(metric: "x") { total } b: usage(metric: "x") { total } }')).toBe(2);
    expect(cost('{ me { id name createdAt } }')).toBe(1);
    expect(cost('query { ...M } fragment M on Query { meters { metric } invoices { id lineItems { amount } } }')).toBe(2);
    expect(cost('{ me { ... on Organization { plans { id } } } }')).toBe(2);
    expect(cost('{ __schema { types { name fields { name } } } __typename }')).toBe(0);
    expect(cost('mutation { setBillingTerms(organizationId: "x", minimum: 1) { minimum } }')).toBe(2);
    // A fragment that spreads itself (validation refuses it first) ends the walk rather than the process.
    expect(cost('query { ...A } fragment A on Query { meters { metric } ...A }')).toBe(1);
  });

  it('multiplies the fields under a list by the items it may hold', () => {
    // me, entitlements, and a CheckEntitlement for each of 20 entitlements.
    expect(cost('{ me { entitlements { feature access { hasAccess } } } }')).toBe(1 + 1 + 20);
    expect(cost('{ organizations { id name } }')).toBe(1);
    expect(cost('{ organizations { id usage(metric: "x") { total } } }')).toBe(1 + 1000);
    expect(cost('{ memberships { role organization { name invoices { id } } } }')).toBe(1 + 20);
  });

  it('applies the variables: a field skipped costs nothing', () => {
    const query = 'query($all: Boolean!) { meters { metric } usage(metric: "x") @include(if: $all) { total } invoices @skip(if: $all) { id } }';
    expect(cost(query, { all: true })).toBe(2);
    expect(cost(query, { all: false })).toBe(2);
    expect(cost('query($all: Boolean!) { usage(metric: "x") @include(if: $all) { total } }', { all: false })).toBe(0);
  });

  it('is declared for every field that calls a service, or the gateway does not start', () => {
    expect(fieldsWithoutCosts(buildSchema(schema), resolvers as Record<string, unknown>)).toEqual([]);
    const grown = `${schema} extend type Entitlement { history: [String!]! } extend type Query { everyOrganization: [Organization!]! }`;
    expect(fieldsWithoutCosts(buildSchema(grown), { ...resolvers, Entitlement: { ...resolvers.Entitlement, history: () => [] } })).toEqual([
      'Entitlement.history',
      'Query.everyOrganization (a list of Organization, whose fields cost RPCs, without items)',
    ]);
  });

  it("leaves the dashboard's own requests far below the default limit", async () => {
    const { dashboardQuery } = await dashboardModule('organization/dashboard-query.js');
    const { teamFields } = await dashboardModule('organization/team-section.jsx');
    // The operator's view of one organization reads each of its sections' fields (functions/dashboard/web/operator/organization-panel.jsx).
    const sections = { 'api-keys': 'apiKeysFields', plans: 'plansFields', 'billing-terms': 'billingTermsFields', invoices: 'invoicesFields', 'alerts-entitlements': 'alertsEntitlementsFields', limits: 'limitsFields' };
    const sectionFields = await Promise.all(Object.entries(sections).map(async ([file, name]) => (await dashboardModule(`operator/${file}-section.jsx`))[name]));
    const { apiKeysFields } = await dashboardModule('operator/api-keys-section.jsx');
    // Both views show the limits; they come with the organization already read, so they add nothing.
    const { limitsFields } = await dashboardModule('components.jsx');
    expect(cost(`{ me { id ${limitsFields} } }`)).toBe(cost('{ me { id } }'));
    // The organization's view names every metric twice; the 250-field limit bounds how many.
    let metrics = 0;
    while (fieldCount(dashboardQuery(Array.from({ length: metrics + 1 }, (_, i) => `metric_${i}`))) <= graphqlLimits.fields) metrics += 1;
    const widest = dashboardQuery(Array.from({ length: metrics }, (_, i) => `metric_${i}`));
    const variables = Object.fromEntries(Array.from({ length: metrics }, (_, i) => [`m${i}`, `metric_${i}`]));
    const requests = [
      cost(widest, variables),
      cost(`query($id: ID!) { organization(id: $id) { id name createdAt ${sectionFields.join(' ')} } }`, { id: 'x' }),
      cost(`{ me { id name ${apiKeysFields} ${teamFields} } }`),
    ];
    expect(Math.max(...requests)).toBe(requests[0]);
    expect(requests[0]).toBeLessThanOrEqual(defaults.graphqlMaxCost / 2);
  });

  it('has a limit that is a setting', () => {
    expect(loadRuntimeConfig({}).graphqlMaxCost).toBe(defaults.graphqlMaxCost);
    expect(loadRuntimeConfig({ POLARIS_GRAPHQL_MAX_COST: '40' }).graphqlMaxCost).toBe(40);
    expect(() => loadRuntimeConfig({ POLARIS_GRAPHQL_MAX_COST: '0' })).toThrow(ConfigError);
  });
});

describe('the gateway', () => {
  const limit = 150;
  let db: TestDatabase;
  let host: TestHost;
  let graphql: Graphql;
  let acme: TestTenant;

  /** RPCs the services have answered, by method (`/polaris.usage.v1.Usage/GetUsageSummary`), or all of them. */
  async function rpcsAnswered(method?: string): Promise<number> {
    const metrics = await (await fetch(`http://127.0.0.1:${host.grpcPort}/metrics`)).text();
    let total = 0;
    for (const [, labels, value] of metrics.matchAll(/^grpc_server_handled_total\{([^}]*)\} (\d+)/gm)) {
      if (!method || labels!.includes(`method="${method}"`)) total += Number(value);
    }
    return total;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    host = await startTestHost({ databaseUrl: db.url, env: { POLARIS_GRAPHQL_MAX_COST: String(limit) } });
    graphql = graphqlAt(host.http);
    acme = await createTenant(host.grpcAddress, 'Acme');
  });

  afterAll(async () => {
    await host?.close();
    await deleteStream(host.natsUrl, host.stream.stream);
    await db?.drop();
  });

  // 1 for me, and for each alias 1 for entitlements and 20 for their access.
  const entitlementsTimes = (aliases: number) =>
    `query($all: Boolean!) { me { id ${Array.from({ length: aliases }, (_, i) => `e${i}: entitlements @include(if: $all) { access { hasAccess } }`).join(' ')} } }`;

  it('refuses a request over the configured limit with BAD_USER_INPUT naming its cost and the limit, before any RPC', async () => {
    expect((await graphql(entitlementsTimes(7), { all: true }, { apiKey: acme.apiKey })).body.errors).toBeUndefined();
    const before = await rpcsAnswered();
    const { status, body } = await graphql(entitlementsTimes(8), { all: true }, { apiKey: acme.apiKey });
    expect(status).toBe(400);
    expect(body.data).toBeNull();
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining(`query cost ${1 + 8 * 21} exceeds the limit of ${limit}`),
        extensions: { code: 'BAD_USER_INPUT', cost: 1 + 8 * 21, limit },
      }),
    ]);
    expect(await rpcsAnswered()).toBe(before);
    // With the variables applied: the same document without the lists is cheap.
    expect((await graphql(entitlementsTimes(8), { all: false }, { apiKey: acme.apiKey })).body).toEqual({ data: { me: { id: acme.organizationId } } });
  });

  it('makes one RPC for 120 identical fields of a query, and answers each with the same values', async () => {
    await graphql('mutation { recordUsage(metric: "api_calls", quantity: 5) }', {}, { apiKey: acme.apiKey });
    await host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: {} }));
    const summaries = '/polaris.usage.v1.Usage/GetUsageSummary';
    const before = await rpcsAnswered(summaries);
    const query = `{ ${Array.from({ length: 120 }, (_, i) => `u${i}: usage(metric: "api_calls") { total }`).join(' ')} }`;
    const { body } = await graphql(query, {}, { apiKey: acme.apiKey });
    expect(await rpcsAnswered(summaries)).toBe(before + 1);
    const answers = Object.values(body.data);
    expect(answers).toHaveLength(120);
    for (const answer of answers) expect(answer).toEqual([{ total: 5 }]);
  });

  it("makes every mutation's RPCs, identical ones included", async () => {
    const recorded = '/polaris.usage.v1.Usage/RecordUsage';
    const before = await rpcsAnswered(recorded);
    const { body } = await graphql('mutation { a: recordUsage(metric: "api_calls", quantity: 1) b: recordUsage(metric: "api_calls", quantity: 1) }', {}, { apiKey: acme.apiKey });
    expect(body).toEqual({ data: { a: true, b: true } });
    expect(await rpcsAnswered(recorded)).toBe(before + 2);
    expect(codes((await graphql('{ organizations { id usage(metric: "api_calls") { total } } }', {}, { apiKey: acme.apiKey })).body)).toEqual(['BAD_USER_INPUT']);
  });
});
