/**
 * Sessions over real gRPC: sign-in and the organization it acts for, refresh
 * rotation and reuse detection, sign-out, ValidateSession, sign-in limits per
 * account and per address, identity-provider sign-in, and sign-in switched off.
 */
import * as grpc from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService, Role, type SessionResponse } from '../../proto/gen/polaris/identity/v1/identity.js';
import { functionRegistry } from '../registry.js';
import { verifySessionToken } from '../../shared/session-token.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { grpcError, rpcClient, testSessionSecret } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { createMember, testPassword, uniqueEmail } from '../../test/support/people.js';

let db: TestDatabase;
let host: TestHost;
let client: ReturnType<typeof rpcClient>;

beforeAll(async () => {
  db = await createTestDatabase();
  host = await startTestHost({ databaseUrl: db.url });
  client = rpcClient(host.grpcAddress);
});

afterAll(async () => {
  client?.close();
  await host?.close();
  await db?.drop();
});

const createOrganization = async (name = 'Acme') =>
  (await client.call(IdentityService.createOrganization, { name, externalId: '' })).organization!.id;
const signIn = (email: string, options: { password?: string; organizationId?: string; clientAddress?: string } = {}) =>
  client.call(IdentityService.signIn, {
    email,
    password: options.password ?? testPassword,
    organizationId: options.organizationId ?? '',
    clientAddress: options.clientAddress ?? '',
  });
const refresh = (refreshToken: string, organizationId = '') => client.call(IdentityService.refreshSession, { refreshToken, organizationId });
const signOut = (refreshToken: string, everywhere = false) => client.call(IdentityService.signOut, { refreshToken, everywhere });
const active = async (sessionId: string) => (await client.call(IdentityService.validateSession, { sessionId })).active;

/** A user who is OWNER of one organization and VIEWER of a second, joined in that order. */
async function userOfTwoOrganizations(): Promise<{ email: string; first: string; second: string; userId: string }> {
  const [first, second] = [await createOrganization('First'), await createOrganization('Second')];
  const owner = await createMember(host.grpcAddress, first, Role.ROLE_OWNER);
  await createMember(host.grpcAddress, second, Role.ROLE_VIEWER, { email: owner.user!.email });
  return { email: owner.user!.email, first, second, userId: owner.user!.id };
}

describe('sign-in', () => {
  it('acts for the oldest membership by default, or for the organization asked for', async () => {
    const { email, first, second, userId } = await userOfTwoOrganizations();
    const byDefault = await signIn(email.toUpperCase());
    expect(byDefault).toMatchObject({ organization: { id: first }, role: Role.ROLE_OWNER, user: { id: userId, email } });
    const chosen = await signIn(email, { organizationId: second });
    expect(chosen).toMatchObject({ organization: { id: second }, role: Role.ROLE_VIEWER });
    expect(await verifySessionToken(chosen.accessToken, testSessionSecret)).toMatchObject({ organizationId: second, userId, role: 'VIEWER', sessionId: chosen.sessionId });
    expect(Date.parse(chosen.expiresAt) - Date.now()).toBeGreaterThan(890_000);
    expect(Date.parse(chosen.expiresAt) - Date.now()).toBeLessThanOrEqual(900_000);

    const elsewhere = await createOrganization('Elsewhere');
    const err = await grpcError(signIn(email, { organizationId: elsewhere }));
    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err.details).toBe(`not a member of organization ${elsewhere}`);
  });

  it('answers an unknown email and a wrong password alike', async () => {
    const organizationId = await createOrganization();
    const member = await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER);
    const wrong = await grpcError(signIn(member.user!.email, { password: 'not the right password' }));
    const unknown = await grpcError(signIn(uniqueEmail('nobody')));
    for (const err of [wrong, unknown]) {
      expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(err.details).toBe('wrong email or password');
      expect(err.metadata.get('polaris-error-code')).toEqual(['invalid_credentials']);
    }
  });
});

describe('refresh tokens', () => {
  it('rotate: each works once and gives the next, in the same session', async () => {
    const organizationId = await createOrganization();
    const first = await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER);
    const second = await refresh(first.refreshToken);
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await verifySessionToken(second.accessToken, testSessionSecret)).sessionId).toBe(first.sessionId);
    expect(second).toMatchObject({ user: first.user, organization: first.organization, role: Role.ROLE_MEMBER });
    const third = await refresh(second.refreshToken);
    expect(third.sessionId).toBe(first.sessionId);
    expect(await active(first.sessionId)).toBe(true);
  });

  it('a token used again revokes the whole session, its newest token included', async () => {
    const organizationId = await createOrganization();
    const first = await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER);
    const second = await refresh(first.refreshToken);
    const reuse = await grpcError(refresh(first.refreshToken));
    expect(reuse.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(reuse.details).toBe('the refresh token is invalid, expired or already used: sign in again');
    expect(await active(first.sessionId)).toBe(false);
    expect((await grpcError(refresh(second.refreshToken))).code).toBe(grpc.status.UNAUTHENTICATED);
    // Other sessions of the user stand.
    const other = await signIn(first.user!.email);
    expect(await active(other.sessionId)).toBe(true);
  });

  it('two uses at once: one may win, and the session ends either way', async () => {
    const organizationId = await createOrganization();
    const session = await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER);
    const results = await Promise.allSettled([refresh(session.refreshToken), refresh(session.refreshToken), refresh(session.refreshToken)]);
    const won = results.filter((r): r is PromiseFulfilledResult<SessionResponse> => r.status === 'fulfilled');
    expect(won.length).toBeLessThanOrEqual(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(await active(session.sessionId)).toBe(false);
    for (const { value } of won) expect((await grpcError(refresh(value.refreshToken))).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('switch organization within the same session; refused for an organization the user is not in, the token still good', async () => {
    const { email, first, second, userId } = await userOfTwoOrganizations();
    const session = await signIn(email);
    const elsewhere = await createOrganization('Elsewhere');
    const refused = await grpcError(refresh(session.refreshToken, elsewhere));
    expect(refused.code).toBe(grpc.status.PERMISSION_DENIED);

    const switched = await refresh(session.refreshToken, second);
    expect(switched).toMatchObject({ sessionId: session.sessionId, organization: { id: second }, role: Role.ROLE_VIEWER });
    expect(await verifySessionToken(switched.accessToken, testSessionSecret)).toMatchObject({ organizationId: second, role: 'VIEWER' });
    expect(await client.call(IdentityService.validateSession, { sessionId: session.sessionId })).toEqual({
      active: true,
      userId,
      organizationId: second,
      role: Role.ROLE_VIEWER,
      limits: { ingestRequestsPerSecond: 0, ingestEventsPerSecond: 0, graphqlCostPerSecond: 0 },
    });
    const back = await refresh(switched.refreshToken, first);
    expect(back).toMatchObject({ organization: { id: first }, role: Role.ROLE_OWNER });
  });

  it('expire after their days unused', async () => {
    const organizationId = await createOrganization();
    const session = await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER);
    const [row] = await db.sql<{ days: number }[]>`
      select round(extract(epoch from expires_at - created_at) / 86400)::int as days from identity.refresh_tokens where session_id = ${session.sessionId}`;
    expect(row!.days).toBe(30);
    await db.sql`update identity.refresh_tokens set expires_at = now() - interval '1 second' where session_id = ${session.sessionId}`;
    expect((await grpcError(refresh(session.refreshToken))).code).toBe(grpc.status.UNAUTHENTICATED);
    // An expired token is not a replay: the session is not revoked for it.
    expect(await active(session.sessionId)).toBe(true);
  });
});

describe('sign-out', () => {
  it('ends the session, and its refresh token with it; again is a no-op', async () => {
    const organizationId = await createOrganization();
    const session = await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER);
    const other = await signIn(session.user!.email);
    expect(await signOut(session.refreshToken)).toEqual({ sessionsRevoked: 1 });
    expect(await active(session.sessionId)).toBe(false);
    expect(await active(other.sessionId)).toBe(true);
    expect((await grpcError(refresh(session.refreshToken))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect(await signOut(session.refreshToken)).toEqual({ sessionsRevoked: 0 });
    expect(await signOut(`polr_${'B'.repeat(43)}`)).toEqual({ sessionsRevoked: 0 });
  });

  it('everywhere ends every session of the user, in every organization', async () => {
    const { email, second } = await userOfTwoOrganizations();
    const sessions = [await signIn(email), await signIn(email), await signIn(email, { organizationId: second })];
    const bystander = await createMember(host.grpcAddress, second, Role.ROLE_MEMBER);
    const { sessionsRevoked } = await signOut(sessions[0]!.refreshToken, true);
    expect(sessionsRevoked).toBeGreaterThanOrEqual(3); // and the sessions the invitations started
    for (const session of sessions) expect(await active(session.sessionId)).toBe(false);
    expect(await active(bystander.sessionId)).toBe(true);
  });

  it('ValidateSession answers inactive for a session never started', async () => {
    expect(await client.call(IdentityService.validateSession, { sessionId: '00000000-0000-4000-8000-000000000000' })).toEqual({
      active: false,
      userId: '',
      organizationId: '',
      role: Role.ROLE_UNSPECIFIED,
    });
  });
});

describe('sign-in limits', () => {
  const retryAfter = (err: grpc.ServiceError) => Number(err.metadata.get('retry-after')[0]);
  const expireLocks = () => db.sql`update identity.sign_in_failures set locked_until = now() - interval '1 millisecond' where locked_until is not null`;

  it('lock an account after 5 failures, doubling the wait with each further failure', async () => {
    const organizationId = await createOrganization();
    const email = (await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER)).user!.email;
    const wrong = () => grpcError(signIn(email, { password: 'wrong password' }));
    for (let i = 0; i < 5; i++) expect((await wrong()).code).toBe(grpc.status.UNAUTHENTICATED);

    // Locked: even the right password is refused, before it is checked.
    const locked = await grpcError(signIn(email));
    expect(locked.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(retryAfter(locked)).toBe(1);
    expect(locked.details).toBe('too many failed sign-ins: retry after 1 s');
    expect(locked.metadata.get('polaris-error-code')).toEqual(['sign_in_locked']);

    for (const seconds of [2, 4, 8]) {
      await expireLocks();
      expect((await wrong()).code).toBe(grpc.status.UNAUTHENTICATED);
      const err = await wrong();
      expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(retryAfter(err)).toBe(seconds);
    }
    // At most 15 minutes.
    await db.sql`update identity.sign_in_failures set failures = 40, locked_until = null`;
    expect((await wrong()).code).toBe(grpc.status.UNAUTHENTICATED);
    expect(retryAfter(await wrong())).toBe(900);
    // Failures older than the 15-minute window no longer count.
    await db.sql`update identity.sign_in_failures set window_started_at = now() - interval '16 minutes', locked_until = null`;
    expect((await signIn(email)).user?.email).toBe(email);
  });

  it('a success clears the account’s failures', async () => {
    const organizationId = await createOrganization();
    const email = (await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER)).user!.email;
    for (let i = 0; i < 4; i++) await grpcError(signIn(email, { password: 'wrong password' }));
    await signIn(email);
    for (let i = 0; i < 4; i++) expect((await grpcError(signIn(email, { password: 'wrong password' }))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await signIn(email)).user?.email).toBe(email);
  });

  it('lock an address guessing at many accounts, unknown ones included; other addresses go on', async () => {
    const organizationId = await createOrganization();
    const victim = (await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER)).user!.email;
    const address = '203.0.113.7';
    for (let i = 0; i < 5; i++) {
      expect((await grpcError(signIn(uniqueEmail('guess'), { password: 'guess', clientAddress: address }))).code).toBe(grpc.status.UNAUTHENTICATED);
    }
    const locked = await grpcError(signIn(victim, { clientAddress: address }));
    expect(locked.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(retryAfter(locked)).toBe(1);
    expect((await signIn(victim, { clientAddress: '198.51.100.1' })).user?.email).toBe(victim);
    expect((await signIn(victim)).user?.email).toBe(victim);
  });

  it('a success does not clear its address’s failures at other accounts', async () => {
    const organizationId = await createOrganization();
    const own = (await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER)).user!.email;
    const address = '2001:db8::42';
    for (let i = 0; i < 4; i++) await grpcError(signIn(uniqueEmail('spray'), { password: 'guess', clientAddress: address }));
    await signIn(own, { clientAddress: address });
    expect((await grpcError(signIn(uniqueEmail('spray'), { password: 'guess', clientAddress: address }))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await grpcError(signIn(own, { clientAddress: address }))).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('a burst of attempts at once cannot pass the limit', async () => {
    const organizationId = await createOrganization();
    const email = (await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER)).user!.email;
    const errors = await Promise.all(Array.from({ length: 12 }, () => grpcError(signIn(email, { password: 'wrong password' }))));
    const checked = errors.filter((err) => err.code === grpc.status.UNAUTHENTICATED);
    expect(checked.length).toBeLessThanOrEqual(6); // 5, and one more if the 1 s lock ended during the burst
    expect(errors.filter((err) => err.code === grpc.status.RESOURCE_EXHAUSTED).length).toBe(12 - checked.length);
  });

  it('hold across hosts: a second host over the same database sees the lock', async () => {
    const other = await startTestHost({ databaseUrl: db.url, entries: functionRegistry.filter((entry) => entry.name === 'sign-in') });
    const otherClient = rpcClient(other.grpcAddress);
    try {
      const organizationId = await createOrganization();
      const email = (await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER)).user!.email;
      for (let i = 0; i < 5; i++) await grpcError(signIn(email, { password: 'wrong password' }));
      const err = await grpcError(otherClient.call(IdentityService.signIn, { email, password: testPassword, organizationId: '', clientAddress: '' }));
      expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    } finally {
      otherClient.close();
      await other.close();
    }
  });
});

describe('identity-provider sign-in', () => {
  const oidc = (email: string, fields: { subject?: string; emailVerified?: boolean; organizationId?: string } = {}) =>
    client.call(IdentityService.signInWithOidc, {
      email,
      emailVerified: fields.emailVerified ?? true,
      issuer: 'https://idp.example.com',
      subject: fields.subject ?? `sub-${email}`,
      organizationId: fields.organizationId ?? '',
      clientAddress: '',
    });

  it('matches a user by verified email, then by the link, even once the email changes at the provider', async () => {
    const organizationId = await createOrganization();
    const member = await createMember(host.grpcAddress, organizationId, Role.ROLE_ADMIN);
    const session = await oidc(member.user!.email.toUpperCase(), { subject: 'subject-1' });
    expect(session).toMatchObject({ user: member.user, organization: { id: organizationId }, role: Role.ROLE_ADMIN });
    const renamed = await oidc(uniqueEmail('renamed'), { subject: 'subject-1' });
    expect(renamed.user).toEqual(member.user);
  });

  it('refuses an unverified email, and an email with no user and no invitation', async () => {
    const organizationId = await createOrganization();
    const member = await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER);
    const unverified = await grpcError(oidc(member.user!.email, { emailVerified: false }));
    expect(unverified.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(unverified.details).toBe('the identity provider has not verified this email');
    const stranger = uniqueEmail('stranger');
    expect((await grpcError(oidc(stranger))).code).toBe(grpc.status.UNAUTHENTICATED);
    const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from identity.users where email = ${stranger}`;
    expect(count!.n).toBe(0);
  });

  it('accepts the invitations to the verified email, making a user without a password', async () => {
    const [first, second] = [await createOrganization('First'), await createOrganization('Second')];
    const email = uniqueEmail('invited');
    await client.call(IdentityService.inviteUser, { organizationId: first, email, role: Role.ROLE_MEMBER });
    await client.call(IdentityService.inviteUser, { organizationId: second, email, role: Role.ROLE_VIEWER });
    const session = await oidc(email, { organizationId: second });
    expect(session).toMatchObject({ user: { email }, organization: { id: second }, role: Role.ROLE_VIEWER });
    const { memberships } = await client.call(IdentityService.getUser, { userId: session.user!.id });
    expect(memberships.map((m) => m.organization?.id).sort()).toEqual([first, second].sort());
    // No password: password sign-in answers as for a wrong one.
    expect((await grpcError(signIn(email))).code).toBe(grpc.status.UNAUTHENTICATED);
    // A later invitation cannot be accepted with a password: the provider accepts it.
    const third = await createOrganization('Third');
    const { token } = await client.call(IdentityService.inviteUser, { organizationId: third, email, role: Role.ROLE_MEMBER });
    const err = await grpcError(client.call(IdentityService.acceptInvitation, { token, password: testPassword, name: '', clientAddress: '' }));
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect((await oidc(email, { organizationId: third })).role).toBe(Role.ROLE_MEMBER);
  });
});

describe('with no session secret', () => {
  it('answers sign-in UNAVAILABLE, saying what to set', async () => {
    const off = await startTestHost({
      databaseUrl: db.url,
      env: { POLARIS_SESSION_SECRET: '' },
      entries: functionRegistry.filter((entry) => ['sign-in', 'refresh-session', 'accept-invitation', 'sign-in-with-oidc', 'validate-session'].includes(entry.name)),
    });
    const offClient = rpcClient(off.grpcAddress);
    try {
      const email = uniqueEmail('off');
      const err = await grpcError(offClient.call(IdentityService.signIn, { email, password: testPassword, organizationId: '', clientAddress: '' }));
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
      expect(err.details).toBe('sign-in is off: set POLARIS_SESSION_SECRET');
      const refreshErr = await grpcError(offClient.call(IdentityService.refreshSession, { refreshToken: `polr_${'A'.repeat(43)}`, organizationId: '' }));
      expect(refreshErr.code).toBe(grpc.status.UNAVAILABLE);
      const acceptErr = await grpcError(offClient.call(IdentityService.acceptInvitation, { token: `poli_${'A'.repeat(43)}`, password: testPassword, name: '', clientAddress: '' }));
      expect(acceptErr.code).toBe(grpc.status.UNAVAILABLE);
      // Nothing was counted against the account.
      const subject = `email:${createHash('sha256').update(email).digest('hex')}`;
      expect(await db.sql`select subject from identity.sign_in_failures where subject = ${subject}`).toHaveLength(0);
    } finally {
      offClient.close();
      await off.close();
    }
  });
});
