/**
 * People and access through GraphQL, over the real services: sign-in,
 * refresh-token rotation and reuse, switching organizations, signing out
 * everywhere, role changes taking effect, the audit log and who may read it,
 * sign-in limits, and bad input that names its argument and changes nothing.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { codes, dataOf, graphqlAt, invitedUser, operator, refresh, signIn, type Graphql, type Json, type TestSession } from '../../test/support/graphql.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { deleteStream } from '../../test/support/nats.js';
import { createTenant, type TestTenant } from '../../test/support/tenants.js';

const jwtSecret = 'people-jwt-secret-that-is-long-enough-0123456789';
const password = 'correct horse battery staple';
/** Sessions are validated again after at most this (the API-key cache time, 1 s here). */
const sessionCacheMs = 1100;

let db: TestDatabase;
let host: TestHost;
let graphql: Graphql;
let acme: TestTenant;
let globex: TestTenant;
let owner: TestSession;
let admin: TestSession;
let member: TestSession;

const bearer = (session: { accessToken: string }) => ({ bearer: session.accessToken });
const from = (address: string) => ({ 'x-forwarded-for': address });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url, env: { POLARIS_JWT_SECRET: jwtSecret, POLARIS_API_KEY_CACHE_SECONDS: '1' } });
  graphql = graphqlAt(host.http);
  acme = await createTenant(host.grpcAddress, 'Acme');
  globex = await createTenant(host.grpcAddress, 'Globex');
  owner = await invitedUser(graphql, acme.organizationId, 'owner@acme.example', 'OWNER', password);
  admin = await invitedUser(graphql, acme.organizationId, 'admin@acme.example', 'ADMIN', password);
  member = await invitedUser(graphql, acme.organizationId, 'member@acme.example', 'MEMBER', password);
}, 60_000);

afterAll(async () => {
  await host?.close();
  if (host) await deleteStream(host.natsUrl, host.stream.stream);
  await db?.drop();
});

describe('signing in', () => {
  it('answers a session whose access token works like any credential', async () => {
    const session = dataOf(await signIn(graphql, 'OWNER@acme.example', password)).signIn;
    expect(session).toMatchObject({ user: { email: 'owner@acme.example' }, organization: { id: acme.organizationId, name: 'Acme' }, role: 'OWNER' });
    expect(session.refreshToken).toMatch(/^polr_[A-Za-z0-9_-]{43}$/);
    expect(new Date(session.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const me = dataOf(await graphql('{ me { id } viewer { id email } memberships { role organization { id } } }', {}, bearer(session)));
    expect(me).toEqual({ me: { id: acme.organizationId }, viewer: { id: owner.user.id, email: 'owner@acme.example' }, memberships: [{ role: 'OWNER', organization: { id: acme.organizationId } }] });
  });

  it('answers a wrong password and an unknown email alike', async () => {
    const wrong = await signIn(graphql, 'member@acme.example', 'not the password', undefined, { headers: from('198.51.100.1') });
    const unknown = await signIn(graphql, 'nobody@acme.example', 'not the password', undefined, { headers: from('198.51.100.2') });
    expect(codes(wrong.body)).toEqual(['UNAUTHENTICATED']);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('locks an account after five failures, whatever the address, with the seconds to wait', async () => {
    await invitedUser(graphql, acme.organizationId, 'locked@acme.example', 'VIEWER', password);
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const answer = await signIn(graphql, 'locked@acme.example', 'wrong password', undefined, { headers: from(`203.0.113.${attempt}`) });
      expect(codes(answer.body)).toEqual(['UNAUTHENTICATED']);
    }
    // Even the right password waits: the lock is checked first.
    const locked = await signIn(graphql, 'locked@acme.example', password, undefined, { headers: from('203.0.113.99') });
    expect(locked.body.errors[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(locked.body.errors[0].extensions.retryAfter).toBeGreaterThanOrEqual(1);
    expect(locked.body.data).toBeNull();
  });

  it('locks an address after five failures, whatever the account', async () => {
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      await signIn(graphql, `guess${attempt}@acme.example`, 'wrong password', undefined, { headers: from('192.0.2.50') });
    }
    const locked = await signIn(graphql, 'member@acme.example', password, undefined, { headers: from('192.0.2.50') });
    expect(codes(locked.body)).toEqual(['RATE_LIMITED']);
    // Another address signs the same account in.
    expect(codes((await signIn(graphql, 'member@acme.example', password, undefined, { headers: from('192.0.2.51') })).body)).toEqual([]);
  });
});

describe('refreshing a session', () => {
  it('rotates the refresh token; using one twice ends the session', async () => {
    const first = dataOf(await signIn(graphql, 'member@acme.example', password)).signIn;
    const second = dataOf(await refresh(graphql, first.refreshToken)).refreshSession;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second).toMatchObject({ organization: { id: acme.organizationId }, role: 'MEMBER' });
    expect(dataOf(await graphql('{ me { id } }', {}, bearer(second))).me.id).toBe(acme.organizationId);

    // The first token again: refused, and the whole session with it.
    expect(codes((await refresh(graphql, first.refreshToken)).body)).toEqual(['UNAUTHENTICATED']);
    expect(codes((await refresh(graphql, second.refreshToken)).body)).toEqual(['UNAUTHENTICATED']);
    await pause(sessionCacheMs);
    expect(codes((await graphql('{ me { id } }', {}, bearer(second))).body)).toEqual(['UNAUTHENTICATED']);
  });

  it("switches to another of the user's organizations, with the role there", async () => {
    await invitedUser(graphql, globex.organizationId, 'switcher@example.com', 'VIEWER', password);
    dataOf(await graphql('mutation($o: ID!) { inviteUser(organizationId: $o, email: "switcher@example.com", role: ADMIN) { id } }', { o: acme.organizationId }, bearer(owner)));
    const invitations = dataOf(await graphql('query($o: ID!) { organization(id: $o) { invitations { id email } } }', { o: acme.organizationId }, operator));
    expect(invitations.organization.invitations.map((i: Json) => i.email)).toContain('switcher@example.com');

    const atGlobex = dataOf(await signIn(graphql, 'switcher@example.com', password, globex.organizationId)).signIn;
    expect(atGlobex).toMatchObject({ organization: { id: globex.organizationId }, role: 'VIEWER' });
    // Not yet a member of Acme (the invitation is open): no switch.
    expect(codes((await refresh(graphql, atGlobex.refreshToken, acme.organizationId)).body)).toEqual(['FORBIDDEN']);
  });

  it('switches organization within one session, and the old access token stops acting for the old one', async () => {
    const token = dataOf(await graphql('mutation($o: ID!) { inviteUser(organizationId: $o, email: "two@example.com", role: ADMIN) { token } }', { o: globex.organizationId }, operator))
      .inviteUser.token;
    const atAcme = await invitedUser(graphql, acme.organizationId, 'two@example.com', 'VIEWER', password);
    dataOf(await graphql('mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p) { accessToken } }', { t: token, p: password }));

    const atGlobex = dataOf(await refresh(graphql, atAcme.refreshToken, globex.organizationId)).refreshSession;
    expect(atGlobex).toMatchObject({ organization: { id: globex.organizationId }, role: 'ADMIN' });
    expect(dataOf(await graphql('{ me { id } }', {}, bearer(atGlobex))).me.id).toBe(globex.organizationId);
    expect(dataOf(await graphql('{ memberships { role organization { id } } }', {}, bearer(atGlobex))).memberships).toHaveLength(2);
    await pause(sessionCacheMs);
    expect(codes((await graphql('{ me { id } }', {}, bearer(atAcme))).body)).toEqual(['UNAUTHENTICATED']);
    // And back.
    const back = dataOf(await refresh(graphql, atGlobex.refreshToken, acme.organizationId)).refreshSession;
    expect(back).toMatchObject({ organization: { id: acme.organizationId }, role: 'VIEWER' });
  });

  it('signs out one session, or every session of the user', async () => {
    const one = dataOf(await signIn(graphql, 'admin@acme.example', password)).signIn;
    const two = dataOf(await signIn(graphql, 'admin@acme.example', password)).signIn;
    const three = dataOf(await signIn(graphql, 'admin@acme.example', password)).signIn;
    expect(dataOf(await graphql('mutation($t: String!) { signOut(refreshToken: $t) }', { t: one.refreshToken })).signOut).toBe(true);
    expect(codes((await refresh(graphql, one.refreshToken)).body)).toEqual(['UNAUTHENTICATED']);
    expect(codes((await graphql('{ me { id } }', {}, bearer(two))).body)).toEqual([]);

    expect(dataOf(await graphql('mutation($t: String!) { signOut(refreshToken: $t, everywhere: true) }', { t: two.refreshToken })).signOut).toBe(true);
    expect(codes((await refresh(graphql, three.refreshToken)).body)).toEqual(['UNAUTHENTICATED']);
    await pause(sessionCacheMs);
    for (const session of [one, two, three, admin]) expect(codes((await graphql('{ me { id } }', {}, bearer(session))).body)).toEqual(['UNAUTHENTICATED']);
    admin = dataOf(await signIn(graphql, 'admin@acme.example', password)).signIn;
  });
});

describe('roles', () => {
  it('take effect on open sessions when they change', async () => {
    const changing = await invitedUser(graphql, acme.organizationId, 'changing@acme.example', 'ADMIN', password);
    const invite = 'mutation($o: ID!, $e: String!) { inviteUser(organizationId: $o, email: $e, role: VIEWER) { id } }';
    expect(codes((await graphql(invite, { o: acme.organizationId, e: 'a1@acme.example' }, bearer(changing))).body)).toEqual([]);
    const demoted = await graphql('mutation($o: ID!, $u: ID!) { setMemberRole(organizationId: $o, userId: $u, role: VIEWER) { role user { email } } }', { o: acme.organizationId, u: changing.user.id }, bearer(owner));
    expect(dataOf(demoted).setMemberRole).toEqual({ role: 'VIEWER', user: { email: 'changing@acme.example' } });
    await pause(sessionCacheMs);
    expect(codes((await graphql(invite, { o: acme.organizationId, e: 'a2@acme.example' }, bearer(changing))).body)).toEqual(['FORBIDDEN']);
    expect(codes((await graphql('{ me { id } }', {}, bearer(changing))).body)).toEqual([]);
  });

  it('let an ADMIN manage keys and people below OWNER only', async () => {
    const key = dataOf(
      await graphql(
        'mutation($o: ID!) { createApiKey(organizationId: $o, name: "CI", scopes: [INGEST], expiresAt: "2099-01-01T00:00:00Z") { id apiKey scopes } }',
        { o: acme.organizationId },
        bearer(admin),
      ),
    ).createApiKey;
    expect(key.scopes).toEqual(['INGEST']);
    const listed = dataOf(await graphql('{ me { apiKeys { id name scopes expiresAt lastUsedAt revokedAt } } }', {}, bearer(admin))).me.apiKeys;
    expect(listed).toContainEqual({ id: key.id, name: 'CI', scopes: ['INGEST'], expiresAt: '2099-01-01T00:00:00.000Z', lastUsedAt: null, revokedAt: null });
    expect(dataOf(await graphql('mutation($id: ID!) { revokeApiKey(id: $id) }', { id: key.id }, bearer(admin))).revokeApiKey).toBe(true);

    const members = dataOf(await graphql('{ me { members { role user { id email } } } }', {}, bearer(admin))).me.members;
    expect(members).toContainEqual({ role: 'OWNER', user: { id: owner.user.id, email: 'owner@acme.example' } });
    const toOwner = await graphql('mutation($o: ID!, $u: ID!) { setMemberRole(organizationId: $o, userId: $u, role: OWNER) { role } }', { o: acme.organizationId, u: member.user.id }, bearer(admin));
    expect(codes(toOwner.body)).toEqual(['FORBIDDEN']);
    const removeOwner = await graphql('mutation($o: ID!, $u: ID!) { removeMember(organizationId: $o, userId: $u) }', { o: acme.organizationId, u: owner.user.id }, bearer(admin));
    expect(codes(removeOwner.body)).toEqual(['FORBIDDEN']);
    const stillOwner = dataOf(await graphql('{ me { members { role user { id } } } }', {}, bearer(owner))).me.members;
    expect(stillOwner).toContainEqual({ role: 'OWNER', user: { id: owner.user.id } });
    expect(stillOwner).toContainEqual({ role: 'MEMBER', user: { id: member.user.id } });
  });
});

describe('the audit log', () => {
  const auditQuery = 'query($o: ID, $a: String) { auditLog(organizationId: $o, action: $a) { at actor action target organizationId clientAddress } }';

  it('names who did what, on which object, from where, and never a secret', async () => {
    const created = dataOf(
      await graphql('mutation($o: ID!) { createApiKey(organizationId: $o, name: "Audited", scopes: [READ]) { id apiKey } }', { o: acme.organizationId }, { ...bearer(owner), headers: from('203.0.113.77') }),
    ).createApiKey;
    const entries = dataOf(await graphql(auditQuery, { o: acme.organizationId, a: 'api_key.create' }, bearer(owner))).auditLog;
    expect(entries[0]).toMatchObject({ actor: `user:${owner.user.id}`, action: 'api_key.create', target: `api_key:${created.id}`, organizationId: acme.organizationId, clientAddress: '203.0.113.77' });

    // A key and an outside JWT are actors too.
    const byKey = dataOf(await graphql('mutation($o: ID!) { createApiKey(organizationId: $o, scopes: [READ]) { id } }', { o: acme.organizationId }, { apiKey: acme.apiKey })).createApiKey;
    const outside = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(acme.organizationId).setExpirationTime('5m').sign(new TextEncoder().encode(jwtSecret));
    const byToken = dataOf(await graphql('mutation($o: ID!) { createApiKey(organizationId: $o, scopes: [READ]) { id } }', { o: acme.organizationId }, { bearer: outside })).createApiKey;
    const log = dataOf(await graphql(auditQuery, { o: acme.organizationId, a: 'api_key.create' }, operator)).auditLog;
    expect(log).toContainEqual(expect.objectContaining({ actor: `key:${acme.apiKeyId}`, target: `api_key:${byKey.id}` }));
    expect(log).toContainEqual(expect.objectContaining({ actor: `token:${acme.organizationId}`, target: `api_key:${byToken.id}` }));

    const everything = JSON.stringify(dataOf(await graphql(auditQuery, {}, operator)).auditLog);
    expect(everything).toContain('session.sign_in');
    expect(everything).not.toContain(created.apiKey);
    expect(everything).not.toMatch(/pol_|polr_|poli_|polp_|correct horse/);
  });

  it("is an organization's owners' and admins' to read, and the operator's across organizations", async () => {
    expect(codes((await graphql(auditQuery, { o: acme.organizationId }, bearer(admin))).body)).toEqual([]);
    expect(codes((await graphql(auditQuery, { o: acme.organizationId }, bearer(member))).body)).toEqual(['FORBIDDEN']);
    expect(codes((await graphql(auditQuery, { o: globex.organizationId }, bearer(owner))).body)).toEqual(['FORBIDDEN']);
    // A tenant leaving organizationId out reads its own organization's only.
    const own = dataOf(await graphql(auditQuery, {}, bearer(owner))).auditLog;
    expect(new Set(own.map((entry: Json) => entry.organizationId))).toEqual(new Set([acme.organizationId]));

    dataOf(await graphql('mutation { createOrganization(name: "Audited Org", externalId: "cus_audited") { organization { id externalId } } }', {}, operator));
    const all = dataOf(await graphql(auditQuery, {}, operator)).auditLog;
    const organizations = new Set(all.map((entry: Json) => entry.organizationId));
    expect(organizations).toContain(acme.organizationId);
    expect(organizations).toContain(globex.organizationId);
    expect(all).toContainEqual(expect.objectContaining({ actor: 'operator', action: 'organization.create' }));

    // Filters by time: [from, to).
    const later = new Date(Date.now() + 60_000).toISOString();
    expect(dataOf(await graphql('query($f: String) { auditLog(from: $f) { action } }', { f: later }, operator)).auditLog).toEqual([]);
  });
});

describe('bad input', () => {
  const invitationsOf = async () => dataOf(await graphql('{ me { invitations { id } } }', {}, bearer(owner))).me.invitations.length;
  const keysOf = async () => dataOf(await graphql('{ me { apiKeys { id } } }', {}, bearer(owner))).me.apiKeys.length;

  it.each([
    ['inviteUser', 'email', 'mutation($o: ID!) { inviteUser(organizationId: $o, email: "not an email", role: VIEWER) { id } }'],
    ['inviteUser', 'organizationId', 'mutation { inviteUser(organizationId: "acme", email: "x@example.com", role: VIEWER) { id } }'],
    ['createApiKey', 'scopes', 'mutation($o: ID!) { createApiKey(organizationId: $o, scopes: []) { id } }'],
    ['createApiKey', 'scopes', 'mutation($o: ID!) { createApiKey(organizationId: $o, scopes: [INGEST_ANY]) { id } }'],
    ['createApiKey', 'expiresAt', 'mutation($o: ID!) { createApiKey(organizationId: $o, expiresAt: "tomorrow") { id } }'],
    ['createApiKey', 'expiresAt', 'mutation($o: ID!) { createApiKey(organizationId: $o, expiresAt: "2001-01-01T00:00:00Z") { id } }'],
    ['createApiKey', 'name', `mutation($o: ID!) { createApiKey(organizationId: $o, name: "${'n'.repeat(101)}") { id } }`],
    ['revokeApiKey', 'id', 'mutation { revokeApiKey(id: "x") }'],
    ['revokeInvitation', 'id', 'mutation { revokeInvitation(id: "x") }'],
    ['setMemberRole', 'userId', 'mutation($o: ID!) { setMemberRole(organizationId: $o, userId: "x", role: VIEWER) { role } }'],
    ['removeMember', 'userId', 'mutation($o: ID!) { removeMember(organizationId: $o, userId: "x") }'],
    ['auditLog', 'from', 'query($o: ID) { auditLog(organizationId: $o, from: "yesterday") { action } }'],
    ['changePassword', 'newPassword', `mutation { changePassword(currentPassword: "${password}", newPassword: "short") }`],
  ])('%s answers BAD_USER_INPUT naming %s, and changes nothing', async (_field, argument, query) => {
    const [invitations, keys] = [await invitationsOf(), await keysOf()];
    const answer = await graphql(query, { o: acme.organizationId }, bearer(owner));
    expect(answer.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: argument })] });
    expect([await invitationsOf(), await keysOf()]).toEqual([invitations, keys]);
  });

  it.each([
    ['acceptInvitation', 'password', `mutation { acceptInvitation(token: "poli_${'A'.repeat(43)}", password: "short") { accessToken } }`],
    ['resetPassword', 'newPassword', `mutation { resetPassword(token: "polp_${'A'.repeat(43)}", newPassword: "short") }`],
    ['createOrganization', 'externalId', 'mutation { createOrganization(name: "Spaced", externalId: "has spaces") { apiKey } }'],
    ['createPasswordReset', 'email', 'mutation { createPasswordReset(email: "not an email") { token } }'],
  ])('%s answers BAD_USER_INPUT naming %s', async (_field, argument, query) => {
    const answer = await graphql(query, {}, operator);
    expect(answer.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: argument })] });
  });

  it('refuses inviting someone who already is a member, naming email', async () => {
    const answer = await graphql('mutation($o: ID!) { inviteUser(organizationId: $o, email: "member@acme.example", role: VIEWER) { id } }', { o: acme.organizationId }, bearer(owner));
    expect(answer.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: 'email' })] });
  });

  it('answers NOT_FOUND for keys and invitations that do not exist', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(codes((await graphql('mutation($id: ID!) { revokeApiKey(id: $id) }', { id: missing }, bearer(owner))).body)).toEqual(['NOT_FOUND']);
    expect(codes((await graphql('mutation($id: ID!) { revokeInvitation(id: $id) }', { id: missing }, bearer(owner))).body)).toEqual(['NOT_FOUND']);
  });
});
