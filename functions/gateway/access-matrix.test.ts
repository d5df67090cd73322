/**
 * Who may use what, over the real services: every role (through real
 * sign-ins), API keys of every useful set of scopes, a service key, a JWT
 * minted outside Polaris, the operator and an anonymous caller, against every
 * query, Organization field and mutation of the schema, plus the cases where
 * one permission is not the whole rule (an OWNER only by an OWNER, scopes
 * only a key's maker has, another organization's objects).
 *
 * The expectations are README's (People and access), written here on their own
 * rather than read from functions/gateway/access.ts; the list of fields comes
 * from the schema, so a field added without a row here fails this test.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, isObjectType } from 'graphql';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { codes, dataOf, graphqlAt, invitedUser, operator, signIn, type Credentials, type Graphql, type Json } from '../../test/support/graphql.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';
import { newEvent } from '../../shared/events/index.js';
import { schema } from './schema.js';

const jwtSecret = 'matrix-jwt-secret-that-is-long-enough-0123456789';
const password = 'correct horse battery staple';
const missingId = '00000000-0000-4000-8000-000000000000';

type Permission = 'read' | 'ingest' | 'manage' | 'people' | 'own';

/** What each caller holds, by the design: roles and scopes become permissions in Acme. */
type Holder =
  | { kind: 'anonymous' }
  | { kind: 'operator' }
  | { kind: 'service' }
  | { kind: 'tenant'; permissions: readonly Permission[]; session: boolean };

const role = (...permissions: Permission[]): Holder => ({ kind: 'tenant', permissions, session: true });
const key = (...permissions: Permission[]): Holder => ({ kind: 'tenant', permissions, session: false });

const holders = {
  anonymous: { kind: 'anonymous' },
  operator: { kind: 'operator' },
  OWNER: role('read', 'ingest', 'manage', 'people', 'own'),
  ADMIN: role('read', 'ingest', 'manage', 'people'),
  MEMBER: role('read', 'ingest'),
  VIEWER: role('read'),
  'key INGEST': key('ingest'),
  'key READ': key('read'),
  'key MANAGE': key('manage'),
  'key READ INGEST': key('read', 'ingest'),
  'key made before scopes (all three)': key('read', 'ingest', 'manage'),
  'service key': { kind: 'service' },
  'outside JWT': key('read', 'ingest', 'manage'),
} satisfies Record<string, Holder>;

type CallerName = keyof typeof holders;
const callerNames = Object.keys(holders) as CallerName[];

/** Allowed, or the code of the refusal. */
type Outcome = 'allowed' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'NOT_FOUND';
type Expectation = (holder: Holder) => Outcome;

function refusedUnlessCaller(holder: Holder): Outcome | undefined {
  if (holder.kind === 'anonymous') return 'UNAUTHENTICATED';
  if (holder.kind === 'service') return 'FORBIDDEN';
  return undefined;
}

const has = (holder: Holder, needs: readonly Permission[]) => holder.kind === 'tenant' && needs.every((p) => holder.permissions.includes(p));

/** Anyone at all, credentials or not. */
const anyone: Expectation = () => 'allowed';
const operatorOnly: Expectation = (h) => refusedUnlessCaller(h) ?? (h.kind === 'operator' ? 'allowed' : 'FORBIDDEN');
/** Any caller but anonymous ones and service keys. */
const anyCaller: Expectation = (h) => refusedUnlessCaller(h) ?? 'allowed';
const signedInUser: Expectation = (h) => refusedUnlessCaller(h) ?? (h.kind === 'tenant' && h.session ? 'allowed' : 'FORBIDDEN');
/** A tenant holding any of `permissions` in its own organization; the operator has no organization of its own. */
const tenantWithAny =
  (...permissions: Permission[]): Expectation =>
  (h) =>
    refusedUnlessCaller(h) ?? (h.kind === 'tenant' && permissions.some((p) => h.permissions.includes(p)) ? 'allowed' : 'FORBIDDEN');
/** The operator, or a tenant holding every one of `needs` in Acme. */
const operatorOr =
  (...needs: Permission[]): Expectation =>
  (h) =>
    refusedUnlessCaller(h) ?? (h.kind === 'operator' || has(h, needs) ? 'allowed' : 'FORBIDDEN');
/** Another organization's object: the operator may; a tenant that could act on its own gets NOT_FOUND, others FORBIDDEN. */
const othersObject =
  (...needs: Permission[]): Expectation =>
  (h) =>
    refusedUnlessCaller(h) ?? (h.kind === 'operator' ? 'allowed' : has(h, needs) ? 'NOT_FOUND' : 'FORBIDDEN');

interface Row {
  /** `Type.field` the row is about. */
  field: string;
  /** What sets the row apart from the field's first row. */
  variant?: string;
  expect: Expectation;
  /** The document and its variables; `prepare` makes what a call may use up (a key to revoke, a token to redeem). */
  request: (fixture: Fixture, caller: CallerName) => Promise<{ query: string; variables?: object }> | { query: string; variables?: object };
  /** Codes an allowed call may still answer (the object does not exist). */
  allowedCodes?: string[];
  /** More checks of an allowed answer. */
  check?: (data: Json, caller: CallerName) => void;
}

interface Fixture {
  acme: TestTenant;
  /** A draft invoice of Acme's, for its PDF. */
  invoiceId: string;
  globex: TestTenant;
  credentials: Record<CallerName, Credentials>;
  emails: Partial<Record<CallerName, string>>;
  /** A user of its own for sign-ins and password resets. */
  signer: { email: string };
  /** A webhook endpoint of each organization, and a message each endpoint has. */
  webhooks: Record<'acme' | 'globex', { endpointId: string; messageId: string }>;
  counter: () => number;
}

const unique = (fixture: Fixture, prefix: string) => `${prefix}${fixture.counter()}`;

/** Through `me` for tenants, through organization(id) for the operator. */
function organizationField(field: string, selection: string, expectField: Expectation): Row {
  const me = tenantWithAny('read', 'manage');
  return {
    field: `Organization.${field}`,
    expect: (h) => {
      if (h.kind === 'operator') return expectField(h);
      const reach = me(h);
      return reach === 'allowed' ? expectField(h) : reach;
    },
    request: ({ acme }, caller) =>
      caller === 'operator'
        ? { query: `query($o: ID!) { organization(id: $o) { ${selection} } }`, variables: { o: acme.organizationId } }
        : { query: `{ me { ${selection} } }` },
  };
}

const operatorCall = async (graphql: Graphql, query: string, variables: object = {}) => dataOf(await graphql(query, variables, operator));

function rows(graphql: Graphql): Row[] {
  const freshMember = async (fixture: Fixture, memberRole: string) =>
    (await invitedUser(graphql, fixture.acme.organizationId, `${unique(fixture, 'member')}@matrix.example`, memberRole, password)).user.id;
  const freshInvitation = async (fixture: Fixture, organizationId: string, invitedRole: string) =>
    (
      await operatorCall(graphql, 'mutation($o: ID!, $e: String!, $r: Role!) { inviteUser(organizationId: $o, email: $e, role: $r) { id } }', {
        o: organizationId,
        e: `${unique(fixture, 'invitee')}@matrix.example`,
        r: invitedRole,
      })
    ).inviteUser.id;
  const freshKey = async (organizationId: string) =>
    (await operatorCall(graphql, 'mutation($o: ID!) { createApiKey(organizationId: $o, scopes: [READ]) { id } }', { o: organizationId })).createApiKey.id;
  const freshAlert = async (organizationId: string) =>
    (await operatorCall(graphql, 'mutation($o: ID!) { createUsageAlert(organizationId: $o, budget: 100) { id } }', { o: organizationId })).createUsageAlert.id;
  const refreshToken = async (fixture: Fixture) => dataOf(await signIn(graphql, fixture.signer.email, password)).signIn.refreshToken;
  const freshEndpoint = async (organizationId: string) =>
    (
      await operatorCall(graphql, 'mutation($o: ID!) { createWebhookEndpoint(organizationId: $o, url: "https://example.com/hooks", eventTypes: ["dev.polaris.invoice.*"]) { endpoint { id } } }', {
        o: organizationId,
      })
    ).createWebhookEndpoint.endpoint.id;

  return [
    // Queries.
    { field: 'Query.me', expect: tenantWithAny('read', 'manage'), request: () => ({ query: '{ me { id } }' }) },
    { field: 'Query.usage', expect: tenantWithAny('read'), request: () => ({ query: '{ usage(metric: "api_calls") { total } }' }) },
    { field: 'Query.meters', expect: operatorOr('read'), request: () => ({ query: '{ meters { metric } }' }) },
    { field: 'Query.usageStorage', expect: operatorOnly, request: () => ({ query: '{ usageStorage { retentionMonths months { month } } }' }) },
    { field: 'Query.invoices', expect: tenantWithAny('read'), request: () => ({ query: '{ invoices { id } }' }) },
    { field: 'Query.usageAlerts', expect: tenantWithAny('read'), request: () => ({ query: '{ usageAlerts { id budget } }' }) },
    {
      field: 'Query.entitlement',
      expect: tenantWithAny('read'),
      request: () => ({ query: '{ entitlement(metric: "api_calls") { hasAccess usage limit } }' }),
      check: (data) => expect(data.entitlement).toMatchObject({ hasAccess: true, limit: '1000000' }),
    },
    { field: 'Query.organizations', expect: operatorOnly, request: () => ({ query: '{ organizations { id } }' }) },
    { field: 'Query.organization', expect: operatorOnly, request: ({ acme }) => ({ query: 'query($o: ID!) { organization(id: $o) { id } }', variables: { o: acme.organizationId } }) },
    {
      field: 'Query.viewer',
      expect: anyCaller,
      request: () => ({ query: '{ viewer { id email } }' }),
      check: (data, caller) => {
        const holder: Holder = holders[caller];
        if (holder.kind === 'tenant' && holder.session) expect(data.viewer.email).toBe(`${caller.toLowerCase()}@matrix.example`);
        else expect(data.viewer).toBeNull();
      },
    },
    {
      field: 'Query.memberships',
      expect: anyCaller,
      request: () => ({ query: '{ memberships { role organization { id name } } }' }),
      check: (data, caller) => {
        const holder: Holder = holders[caller];
        expect(data.memberships).toEqual(holder.kind === 'tenant' && holder.session ? [{ role: caller, organization: { id: expect.any(String), name: 'Acme' } }] : []);
      },
    },
    {
      field: 'Query.auditLog',
      expect: operatorOr('people'),
      request: ({ acme }) => ({ query: 'query($o: ID) { auditLog(organizationId: $o) { action organizationId } }', variables: { o: acme.organizationId } }),
      check: (data) => expect(data.auditLog.length).toBeGreaterThan(0),
    },
    {
      field: 'Query.auditLog',
      variant: "without organizationId: a tenant's own, the operator's every organization's",
      expect: operatorOr('people'),
      request: () => ({ query: '{ auditLog { action } }' }),
    },
    {
      field: 'Query.webhookEndpoints',
      expect: operatorOr('manage'),
      request: () => ({ query: '{ webhookEndpoints { id url } }' }),
      check: (data) => expect(data.webhookEndpoints.length).toBeGreaterThan(0),
    },
    {
      field: 'Query.webhookEndpoints',
      variant: 'of another organization',
      expect: operatorOnly,
      request: ({ globex }) => ({ query: 'query($o: ID) { webhookEndpoints(organizationId: $o) { id } }', variables: { o: globex.organizationId } }),
    },
    {
      field: 'Query.webhookDeliveries',
      expect: operatorOr('manage'),
      request: ({ webhooks }) => ({ query: 'query($e: ID!) { webhookDeliveries(endpointId: $e) { id attempts { trigger } } }', variables: { e: webhooks.acme.endpointId } }),
      check: (data) => expect(data.webhookDeliveries.length).toBeGreaterThan(0),
    },
    {
      field: 'Query.webhookDeliveries',
      variant: "of another organization's endpoint",
      expect: othersObject('manage'),
      request: ({ webhooks }) => ({ query: 'query($e: ID!) { webhookDeliveries(endpointId: $e) { id } }', variables: { e: webhooks.globex.endpointId } }),
    },
    {
      field: 'Query.auditLog',
      variant: "of another organization",
      expect: operatorOnly,
      request: ({ globex }) => ({ query: 'query($o: ID) { auditLog(organizationId: $o) { action } }', variables: { o: globex.organizationId } }),
    },

    // Organization's fields.
    organizationField('id', 'id', anyCaller),
    organizationField('name', 'name', anyCaller),
    organizationField('createdAt', 'createdAt', anyCaller),
    organizationField('externalId', 'externalId', anyCaller),
    organizationField('usage', 'usage(metric: "api_calls") { total }', operatorOr('read')),
    organizationField('invoices', 'invoices { id }', operatorOr('read')),
    organizationField('plans', 'plans { id }', operatorOr('read')),
    organizationField('planHistory', 'planHistory { id }', operatorOnly),
    organizationField('billingTerms', 'billingTerms { minimum }', operatorOr('read')),
    organizationField('apiKeys', 'apiKeys { id scopes }', operatorOr('manage')),
    organizationField('members', 'members { role user { email } }', operatorOr('people')),
    organizationField('invitations', 'invitations { id email role }', operatorOr('people')),
    organizationField('usageAlerts', 'usageAlerts { id crossings { percent } }', operatorOr('read')),
    organizationField('entitlements', 'entitlements { feature type }', operatorOr('read')),
    organizationField('entitlement', 'entitlement(feature: "sso") { hasAccess type }', operatorOr('read')),
    organizationField('stripe', 'stripe { customerId collectionMethod daysUntilDue }', operatorOr('read')),
    organizationField('limits', 'limits { ingestRequestsPerSecond ingestEventsPerSecond graphqlCostPerSecond enforced }', operatorOr('read')),

    // Mutations.
    { field: 'Mutation.recordUsage', expect: tenantWithAny('ingest'), request: () => ({ query: 'mutation { recordUsage(metric: "api_calls", quantity: 1) }' }) },
    {
      field: 'Mutation.createOrganization',
      expect: operatorOnly,
      request: (fixture) => ({ query: 'mutation($n: String!) { createOrganization(name: $n) { apiKey } }', variables: { n: unique(fixture, 'Org ') } }),
    },
    {
      field: 'Mutation.createApiKey',
      expect: operatorOr('manage'),
      request: ({ acme }) => ({ query: 'mutation($o: ID!) { createApiKey(organizationId: $o, scopes: [MANAGE]) { id scopes } }', variables: { o: acme.organizationId } }),
      check: (data) => expect(data.createApiKey.scopes).toEqual(['MANAGE']),
    },
    {
      field: 'Mutation.createApiKey',
      variant: 'with every scope (left out): only a maker holding all three',
      expect: operatorOr('manage', 'read', 'ingest'),
      request: ({ acme }) => ({ query: 'mutation($o: ID!) { createApiKey(organizationId: $o) { id scopes } }', variables: { o: acme.organizationId } }),
      check: (data) => expect([...data.createApiKey.scopes].sort()).toEqual(['INGEST', 'MANAGE', 'READ']),
    },
    {
      field: 'Mutation.createApiKey',
      variant: 'for another organization',
      expect: operatorOnly,
      request: ({ globex }) => ({ query: 'mutation($o: ID!) { createApiKey(organizationId: $o, scopes: [MANAGE]) { id } }', variables: { o: globex.organizationId } }),
    },
    {
      field: 'Mutation.revokeApiKey',
      expect: operatorOr('manage'),
      request: async ({ acme }) => ({ query: 'mutation($id: ID!) { revokeApiKey(id: $id) }', variables: { id: await freshKey(acme.organizationId) } }),
      check: (data) => expect(data.revokeApiKey).toBe(true),
    },
    {
      field: 'Mutation.revokeApiKey',
      variant: "of another organization's key",
      expect: othersObject('manage'),
      request: async ({ globex }) => ({ query: 'mutation($id: ID!) { revokeApiKey(id: $id) }', variables: { id: await freshKey(globex.organizationId) } }),
    },
    {
      field: 'Mutation.setPlan',
      expect: operatorOnly,
      request: ({ acme }) => ({
        query: 'mutation($o: ID!) { setPlan(organizationId: $o, name: "Matrix", metric: "matrix_calls", unitPrice: 1, freeQuota: 0) { id } }',
        variables: { o: acme.organizationId },
      }),
    },
    {
      field: 'Mutation.generateInvoice',
      expect: operatorOnly,
      request: ({ acme }) => ({
        query: 'mutation($o: ID!) { generateInvoice(organizationId: $o, periodStart: "2026-01-01", periodEnd: "2026-02-01") { id } }',
        variables: { o: acme.organizationId },
      }),
    },
    {
      field: 'Mutation.finalizeInvoice',
      expect: operatorOnly,
      allowedCodes: ['NOT_FOUND'],
      request: () => ({ query: 'mutation($i: ID!) { finalizeInvoice(id: $i) { id } }', variables: { i: missingId } }),
    },
    {
      field: 'Mutation.voidInvoice',
      expect: operatorOnly,
      allowedCodes: ['NOT_FOUND'],
      request: () => ({ query: 'mutation($i: ID!) { voidInvoice(id: $i, reason: "x") { id } }', variables: { i: missingId } }),
    },
    { field: 'Mutation.closeInvoices', expect: operatorOnly, request: () => ({ query: 'mutation { closeInvoices { id } }' }) },
    {
      field: 'Mutation.setBillingTerms',
      expect: operatorOnly,
      request: ({ acme }) => ({ query: 'mutation($o: ID!) { setBillingTerms(organizationId: $o, minimum: 0) { minimum } }', variables: { o: acme.organizationId } }),
    },
    {
      field: 'Mutation.createMeter',
      expect: operatorOnly,
      request: (fixture) => ({
        query: 'mutation($m: String!) { createMeter(metric: $m, name: "Matrix", aggregation: SUM) { metric } }',
        variables: { m: unique(fixture, 'matrix_meter_') },
      }),
    },
    {
      field: 'Mutation.createServiceKey',
      expect: operatorOnly,
      request: () => ({ query: 'mutation { createServiceKey(name: "Matrix") { id scopes } }' }),
      check: (data) => expect(data.createServiceKey.scopes).toEqual(['INGEST_ANY']),
    },
    {
      field: 'Mutation.setOrganizationLimits',
      expect: operatorOnly,
      // Every limit back to the default: the rest of the matrix runs as before.
      request: ({ acme }) => ({ query: 'mutation($o: ID!) { setOrganizationLimits(organizationId: $o, limits: {}) { limits { ingestRequestsPerSecond } } }', variables: { o: acme.organizationId } }),
    },
    {
      field: 'Mutation.createUsageAlert',
      expect: operatorOr('manage'),
      request: ({ acme }) => ({
        query: 'mutation($o: ID!) { createUsageAlert(organizationId: $o, metric: "api_calls", budget: 1000, percentages: [50, 100]) { id percentages } }',
        variables: { o: acme.organizationId },
      }),
      check: (data) => expect(data.createUsageAlert.percentages).toEqual(['50', '100']),
    },
    {
      field: 'Mutation.createUsageAlert',
      variant: 'for another organization',
      expect: operatorOnly,
      request: ({ globex }) => ({ query: 'mutation($o: ID!) { createUsageAlert(organizationId: $o, budget: 10) { id } }', variables: { o: globex.organizationId } }),
    },
    {
      field: 'Mutation.deleteUsageAlert',
      expect: operatorOr('manage'),
      request: async ({ acme }) => ({ query: 'mutation($id: ID!) { deleteUsageAlert(id: $id) }', variables: { id: await freshAlert(acme.organizationId) } }),
      check: (data) => expect(data.deleteUsageAlert).toBe(true),
    },
    {
      field: 'Mutation.deleteUsageAlert',
      variant: "of another organization's alert",
      expect: othersObject('manage'),
      request: async ({ globex }) => ({ query: 'mutation($id: ID!) { deleteUsageAlert(id: $id) }', variables: { id: await freshAlert(globex.organizationId) } }),
    },
    {
      field: 'Mutation.setEntitlement',
      expect: operatorOnly,
      request: ({ acme }) => ({ query: 'mutation($o: ID!) { setEntitlement(organizationId: $o, feature: "sso") { id type enabled } }', variables: { o: acme.organizationId } }),
    },
    {
      field: 'Mutation.deleteEntitlement',
      expect: operatorOnly,
      request: ({ acme }) => ({ query: 'mutation($o: ID!) { deleteEntitlement(organizationId: $o, feature: "matrix_feature") }', variables: { o: acme.organizationId } }),
    },
    {
      field: 'Mutation.createPasswordReset',
      expect: operatorOnly,
      request: ({ signer }) => ({ query: 'mutation($e: String!) { createPasswordReset(email: $e) { token expiresAt } }', variables: { e: signer.email } }),
    },
    {
      field: 'Mutation.signIn',
      expect: anyone,
      request: ({ signer }) => ({ query: 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { accessToken } }', variables: { e: signer.email, p: password } }),
    },
    {
      field: 'Mutation.refreshSession',
      expect: anyone,
      request: async (fixture) => ({ query: 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', variables: { t: await refreshToken(fixture) } }),
    },
    {
      field: 'Mutation.signOut',
      expect: anyone,
      request: async (fixture) => ({ query: 'mutation($t: String!) { signOut(refreshToken: $t) }', variables: { t: await refreshToken(fixture) } }),
      check: (data) => expect(data.signOut).toBe(true),
    },
    {
      field: 'Mutation.acceptInvitation',
      expect: anyone,
      request: async (fixture) => {
        const email = `${unique(fixture, 'accepter')}@matrix.example`;
        const { inviteUser } = await operatorCall(graphql, 'mutation($o: ID!, $e: String!) { inviteUser(organizationId: $o, email: $e, role: VIEWER) { token } }', {
          o: fixture.acme.organizationId,
          e: email,
        });
        return { query: 'mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p) { accessToken } }', variables: { t: inviteUser.token, p: password } };
      },
    },
    {
      field: 'Mutation.resetPassword',
      expect: anyone,
      request: async (fixture) => {
        // The signer's password stays what it was, so later sign-ins still work.
        const { createPasswordReset } = await operatorCall(graphql, 'mutation($e: String!) { createPasswordReset(email: $e) { token } }', { e: fixture.signer.email });
        return { query: 'mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', variables: { t: createPasswordReset.token, p: password } };
      },
    },
    {
      field: 'Mutation.changePassword',
      expect: signedInUser,
      // The same password again: the other rows' sessions and sign-ins go on working.
      request: () => ({ query: 'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }', variables: { c: password, n: password } }),
    },
    {
      field: 'Mutation.inviteUser',
      expect: operatorOr('people'),
      request: (fixture) => ({
        query: 'mutation($o: ID!, $e: String!) { inviteUser(organizationId: $o, email: $e, role: VIEWER) { id token } }',
        variables: { o: fixture.acme.organizationId, e: `${unique(fixture, 'invited')}@matrix.example` },
      }),
    },
    {
      field: 'Mutation.inviteUser',
      variant: 'as OWNER',
      expect: operatorOr('own'),
      request: (fixture) => ({
        query: 'mutation($o: ID!, $e: String!) { inviteUser(organizationId: $o, email: $e, role: OWNER) { id } }',
        variables: { o: fixture.acme.organizationId, e: `${unique(fixture, 'owner')}@matrix.example` },
      }),
    },
    {
      field: 'Mutation.inviteUser',
      variant: 'to another organization',
      expect: operatorOnly,
      request: (fixture) => ({
        query: 'mutation($o: ID!, $e: String!) { inviteUser(organizationId: $o, email: $e, role: VIEWER) { id } }',
        variables: { o: fixture.globex.organizationId, e: `${unique(fixture, 'elsewhere')}@matrix.example` },
      }),
    },
    {
      field: 'Mutation.setMemberRole',
      expect: operatorOr('people'),
      request: async (fixture) => ({
        query: 'mutation($o: ID!, $u: ID!) { setMemberRole(organizationId: $o, userId: $u, role: VIEWER) { role } }',
        variables: { o: fixture.acme.organizationId, u: await freshMember(fixture, 'MEMBER') },
      }),
      check: (data) => expect(data.setMemberRole.role).toBe('VIEWER'),
    },
    {
      field: 'Mutation.setMemberRole',
      variant: 'making an OWNER',
      expect: operatorOr('own'),
      request: async (fixture) => ({
        query: 'mutation($o: ID!, $u: ID!) { setMemberRole(organizationId: $o, userId: $u, role: OWNER) { role } }',
        variables: { o: fixture.acme.organizationId, u: await freshMember(fixture, 'MEMBER') },
      }),
    },
    {
      field: 'Mutation.setMemberRole',
      variant: 'of an OWNER',
      expect: operatorOr('own'),
      request: async (fixture) => ({
        query: 'mutation($o: ID!, $u: ID!) { setMemberRole(organizationId: $o, userId: $u, role: ADMIN) { role } }',
        variables: { o: fixture.acme.organizationId, u: await freshMember(fixture, 'OWNER') },
      }),
    },
    {
      field: 'Mutation.removeMember',
      expect: operatorOr('people'),
      request: async (fixture) => ({
        query: 'mutation($o: ID!, $u: ID!) { removeMember(organizationId: $o, userId: $u) }',
        variables: { o: fixture.acme.organizationId, u: await freshMember(fixture, 'MEMBER') },
      }),
      check: (data) => expect(data.removeMember).toBe(true),
    },
    {
      field: 'Mutation.removeMember',
      variant: 'an OWNER',
      expect: operatorOr('own'),
      request: async (fixture) => ({
        query: 'mutation($o: ID!, $u: ID!) { removeMember(organizationId: $o, userId: $u) }',
        variables: { o: fixture.acme.organizationId, u: await freshMember(fixture, 'OWNER') },
      }),
    },
    {
      field: 'Mutation.revokeInvitation',
      expect: operatorOr('people'),
      request: async (fixture) => ({ query: 'mutation($id: ID!) { revokeInvitation(id: $id) }', variables: { id: await freshInvitation(fixture, fixture.acme.organizationId, 'VIEWER') } }),
      check: (data) => expect(data.revokeInvitation).toBe(true),
    },
    {
      field: 'Mutation.revokeInvitation',
      variant: "an OWNER's invitation",
      expect: operatorOr('own'),
      request: async (fixture) => ({ query: 'mutation($id: ID!) { revokeInvitation(id: $id) }', variables: { id: await freshInvitation(fixture, fixture.acme.organizationId, 'OWNER') } }),
    },
    {
      field: 'Mutation.revokeInvitation',
      variant: "another organization's invitation",
      expect: othersObject('people'),
      request: async (fixture) => ({ query: 'mutation($id: ID!) { revokeInvitation(id: $id) }', variables: { id: await freshInvitation(fixture, fixture.globex.organizationId, 'VIEWER') } }),
    },
    {
      // Stripe is off here: a customer id given is linked as it is.
      field: 'Mutation.setStripeCustomer',
      expect: operatorOnly,
      request: ({ acme }) => ({
        query: 'mutation($o: ID!) { setStripeCustomer(organizationId: $o, customerId: "cus_Matrix", collectionMethod: SEND_INVOICE) { customerId collectionMethod daysUntilDue } }',
        variables: { o: acme.organizationId },
      }),
      check: (data) => expect(data.setStripeCustomer).toEqual({ customerId: 'cus_Matrix', collectionMethod: 'SEND_INVOICE', daysUntilDue: 30 }),
    },
    {
      // Stripe is off here: the operator is told so (BAD_USER_INPUT), everyone else refused before it.
      field: 'Mutation.sendInvoiceToStripe',
      expect: operatorOnly,
      allowedCodes: ['BAD_USER_INPUT'],
      request: () => ({ query: 'mutation($i: ID!) { sendInvoiceToStripe(id: $i) }', variables: { i: '00000000-0000-4000-8000-000000000000' } }),
    },
    {
      field: 'Mutation.createWebhookEndpoint',
      expect: operatorOr('manage'),
      request: ({ acme }) => ({
        query: 'mutation($o: ID) { createWebhookEndpoint(organizationId: $o, url: "https://example.com/hooks", eventTypes: ["dev.polaris.invoice.*"]) { endpoint { id } secret } }',
        variables: { o: acme.organizationId },
      }),
      check: (data) => expect(data.createWebhookEndpoint.secret).toMatch(/^whsec_/),
    },
    {
      field: 'Mutation.createWebhookEndpoint',
      variant: 'for another organization',
      expect: operatorOnly,
      request: ({ globex }) => ({
        query: 'mutation($o: ID) { createWebhookEndpoint(organizationId: $o, url: "https://example.com/hooks", eventTypes: ["dev.polaris.invoice.*"]) { endpoint { id } } }',
        variables: { o: globex.organizationId },
      }),
    },
    {
      field: 'Mutation.updateWebhookEndpoint',
      expect: operatorOr('manage'),
      request: ({ webhooks }) => ({ query: 'mutation($id: ID!) { updateWebhookEndpoint(id: $id, description: "matrix") { id description } }', variables: { id: webhooks.acme.endpointId } }),
    },
    {
      field: 'Mutation.updateWebhookEndpoint',
      variant: "another organization's endpoint",
      expect: othersObject('manage'),
      request: ({ webhooks }) => ({ query: 'mutation($id: ID!) { updateWebhookEndpoint(id: $id, description: "matrix") { id } }', variables: { id: webhooks.globex.endpointId } }),
    },
    {
      field: 'Mutation.rotateWebhookSecret',
      expect: operatorOr('manage'),
      request: ({ webhooks }) => ({ query: 'mutation($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { id } secret } }', variables: { id: webhooks.acme.endpointId } }),
    },
    {
      field: 'Mutation.rotateWebhookSecret',
      variant: "another organization's endpoint",
      expect: othersObject('manage'),
      request: ({ webhooks }) => ({ query: 'mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', variables: { id: webhooks.globex.endpointId } }),
    },
    {
      field: 'Mutation.deleteWebhookEndpoint',
      expect: operatorOr('manage'),
      request: async ({ acme }) => ({ query: 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', variables: { id: await freshEndpoint(acme.organizationId) } }),
      check: (data) => expect(data.deleteWebhookEndpoint).toBe(true),
    },
    {
      field: 'Mutation.deleteWebhookEndpoint',
      variant: "another organization's endpoint",
      expect: othersObject('manage'),
      request: async ({ globex }) => ({ query: 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', variables: { id: await freshEndpoint(globex.organizationId) } }),
    },
    {
      field: 'Mutation.redeliverWebhook',
      expect: operatorOr('manage'),
      request: ({ webhooks }) => ({ query: 'mutation($m: ID!) { redeliverWebhook(messageId: $m) { id status } }', variables: { m: webhooks.acme.messageId } }),
      check: (data) => expect(data.redeliverWebhook.status).toBe('DELIVERED'),
    },
    {
      field: 'Mutation.redeliverWebhook',
      variant: "another organization's message",
      expect: othersObject('manage'),
      request: ({ webhooks }) => ({ query: 'mutation($m: ID!) { redeliverWebhook(messageId: $m) { id } }', variables: { m: webhooks.globex.messageId } }),
    },
  ];
}

/** Takes every webhook delivery the matrix makes. */
let receiver: Server;

/** An endpoint of the organization's on the local receiver, and the message an invoice event made for it. */
async function webhookOf(graphql: Graphql, tenant: TestTenant): Promise<{ endpointId: string; messageId: string }> {
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  const { createWebhookEndpoint } = await operatorCall(
    graphql,
    'mutation($o: ID!, $u: String!) { createWebhookEndpoint(organizationId: $o, url: $u, eventTypes: ["dev.polaris.invoice.*"]) { endpoint { id } } }',
    { o: tenant.organizationId, u: url },
  );
  const endpointId = createWebhookEndpoint.endpoint.id;
  await host.dispatch(
    newEvent('dev.polaris.invoice.updated', '/test', {
      orgId: tenant.organizationId,
      invoiceId: missingId,
      status: 'draft',
      amount: '0',
      periodStart: '2026-01-01T00:00:00Z',
      periodEnd: '2026-02-01T00:00:00Z',
    }),
  );
  const { webhookDeliveries } = await operatorCall(graphql, 'query($e: ID!) { webhookDeliveries(endpointId: $e) { id } }', { e: endpointId });
  return { endpointId, messageId: webhookDeliveries[0].id };
}

let db: TestDatabase;
let host: TestHost;
let graphql: Graphql;
let fixture: Fixture;

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = createServer((request, response) => request.resume().on('end', () => response.writeHead(204).end()));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  // The receiver is on this machine.
  host = await startTestHost({ databaseUrl: db.url, env: { POLARIS_JWT_SECRET: jwtSecret, POLARIS_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  graphql = graphqlAt(host.http);
  const acme = await createTenant(host.grpcAddress, 'Acme');
  const globex = await createTenant(host.grpcAddress, 'Globex');
  let count = 0;
  const credentials = { anonymous: {}, operator } as Record<CallerName, Credentials>;
  const emails: Fixture['emails'] = {};
  for (const name of ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const) {
    emails[name] = `${name.toLowerCase()}@matrix.example`;
    credentials[name] = { bearer: (await invitedUser(graphql, acme.organizationId, emails[name], name, password)).accessToken };
  }
  const scopedKey = async (scopes: string) =>
    (await operatorCall(graphql, `mutation($o: ID!) { createApiKey(organizationId: $o, scopes: [${scopes}]) { apiKey } }`, { o: acme.organizationId })).createApiKey.apiKey;
  credentials['key INGEST'] = { apiKey: await scopedKey('INGEST') };
  credentials['key READ'] = { apiKey: await scopedKey('READ') };
  credentials['key MANAGE'] = { apiKey: await scopedKey('MANAGE') };
  credentials['key READ INGEST'] = { apiKey: await scopedKey('READ, INGEST') };
  // The organization's first key, made as keys were before scopes existed.
  credentials['key made before scopes (all three)'] = { apiKey: acme.apiKey };
  credentials['service key'] = { apiKey: (await operatorCall(graphql, 'mutation { createServiceKey(name: "Backend") { apiKey } }')).createServiceKey.apiKey };
  credentials['outside JWT'] = {
    bearer: await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(acme.organizationId).setExpirationTime('1h').sign(new TextEncoder().encode(jwtSecret)),
  };
  const signer = { email: 'signer@matrix.example' };
  await invitedUser(graphql, acme.organizationId, signer.email, 'VIEWER', password);
  await operatorCall(graphql, 'mutation($o: ID!) { setEntitlement(organizationId: $o, feature: "api_calls", limit: 1000000) { id } }', { o: acme.organizationId });
  const { generateInvoice } = await operatorCall(
    graphql,
    'mutation($o: ID!) { generateInvoice(organizationId: $o, periodStart: "2026-01-01", periodEnd: "2026-02-01") { id } }',
    { o: acme.organizationId },
  );
  const webhooks = { acme: await webhookOf(graphql, acme), globex: await webhookOf(graphql, globex) };
  fixture = { acme, globex, invoiceId: generateInvoice.id, credentials, emails, signer, webhooks, counter: () => (count += 1) };
}, 120_000);

afterAll(async () => {
  receiver?.closeAllConnections();
  receiver?.close();
  await host?.close();
  if (host) await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

const guardedTypes = ['Query', 'Mutation', 'Organization'] as const;

/** The HTTP routes a tenant calls besides /graphql, and the status each caller gets. */
const routes: { name: string; expect: (holder: Holder, caller: CallerName) => number; send: (credentials: Credentials, caller: CallerName) => Promise<Response> }[] = [
  {
    name: 'GET /invoices/<id>.pdf',
    expect: (h) => (h.kind === 'anonymous' ? 401 : h.kind === 'operator' || has(h, ['read']) ? 200 : 403),
    send: (credentials) => fetch(`${host.http}/invoices/${fixture.invoiceId}.pdf`, { headers: headersOf(credentials) }),
  },
  {
    // X-API-Key only (README, Sending usage): a key with INGEST, or a service key naming the organization.
    name: 'POST /ingest',
    expect: (h, caller) => (!fixture.credentials[caller].apiKey ? 401 : h.kind === 'service' || has(h, ['ingest']) ? 202 : 403),
    send: (credentials, caller) =>
      fetch(`${host.http}/ingest`, {
        method: 'POST',
        headers: { ...headersOf(credentials), 'content-type': 'application/json' },
        // A service key's event names its organization; an organization's key's need not.
        body: JSON.stringify({ metric: 'api_calls', quantity: 1, ...(caller === 'service key' && { organization: fixture.acme.organizationId }) }),
      }),
  },
];

function headersOf(credentials: Credentials): Record<string, string> {
  return { ...(credentials.apiKey && { 'x-api-key': credentials.apiKey }), ...(credentials.bearer && { authorization: `Bearer ${credentials.bearer}` }) };
}

describe('the access matrix', () => {
  it('has a row for every query, mutation and Organization field of the schema', () => {
    const schemaFields = guardedTypes.flatMap((typeName) => {
      const type = buildSchema(schema).getType(typeName);
      return type && isObjectType(type) ? Object.keys(type.getFields()).map((field) => `${typeName}.${field}`) : [];
    });
    const covered = new Set(rows(graphqlAt('http://unused')).map((row) => row.field));
    expect(schemaFields.filter((field) => !covered.has(field))).toEqual([]);
    expect([...covered].filter((field) => !schemaFields.includes(field))).toEqual([]);
  });

  it.each(callerNames)('holds for %s', async (caller) => {
    const problems: string[] = [];
    for (const row of rows(graphql)) {
      const name = `${row.field}${row.variant ? ` (${row.variant})` : ''}`;
      const expected = row.expect(holders[caller]);
      const { query, variables } = await row.request(fixture, caller);
      const { body } = await graphql(query, variables, fixture.credentials[caller]);
      const got = codes(body);
      if (expected === 'allowed') {
        const unexpected = got.filter((code) => !(row.allowedCodes ?? []).includes(code));
        if (unexpected.length > 0) problems.push(`${name}: expected allowed, got ${JSON.stringify(body.errors)}`);
        else if (got.length === 0 && row.check) {
          try {
            row.check(body.data, caller);
          } catch (err) {
            problems.push(`${name}: ${(err as Error).message}`);
          }
        }
      } else if (got.length !== 1 || got[0] !== expected) {
        problems.push(`${name}: expected ${expected}, got ${got.length ? got.join(', ') : `data ${JSON.stringify(body.data)}`}`);
      } else if (body.data !== null && JSON.stringify(body.data).includes('"id":"')) {
        problems.push(`${name}: refused, yet answered ${JSON.stringify(body.data)}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it.each(callerNames)('holds on the HTTP routes for %s', async (caller) => {
    const statuses = Object.fromEntries(
      await Promise.all(routes.map(async (route) => [route.name, (await route.send(fixture.credentials[caller], caller)).status] as const)),
    );
    expect(statuses).toEqual(Object.fromEntries(routes.map((route) => [route.name, route.expect(holders[caller], caller)])));
  });
});
