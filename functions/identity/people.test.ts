/**
 * Identity's people over real gRPC: invitations, members and their roles,
 * password change and reset; bad input to every people RPC; no secret stored
 * in the clear.
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService, Role } from '../../proto/gen/polaris/identity/v1/identity.js';
import { verifySessionToken } from '../../shared/session-token.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { grpcError, rpcClient, testSessionSecret } from '../../test/support/grpc.js';
import { startTestHost, type TestHost } from '../../test/support/host.js';
import { createMember, testPassword, uniqueEmail } from '../../test/support/people.js';
import { hostileString } from '../../test/fuzz/arbitraries/text.js';

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
const invite = (organizationId: string, email: string, role = Role.ROLE_MEMBER) => client.call(IdentityService.inviteUser, { organizationId, email, role });
const accept = (token: string, password = testPassword, name = '') => client.call(IdentityService.acceptInvitation, { token, password, name, clientAddress: '' });
const signIn = (email: string, password = testPassword, organizationId = '') =>
  client.call(IdentityService.signIn, { email, password, organizationId, clientAddress: '' });
const validate = (sessionId: string) => client.call(IdentityService.validateSession, { sessionId });
const refresh = (refreshToken: string, organizationId = '') => client.call(IdentityService.refreshSession, { refreshToken, organizationId });
const members = async (organizationId: string) => (await client.call(IdentityService.listMembers, { organizationId })).members;

describe('invitations', () => {
  it('invites an email, and accepting makes the user, the membership and a session for the organization', async () => {
    const organizationId = await createOrganization('Invited Inc');
    const email = uniqueEmail('ada');
    const { invitation, token } = await invite(organizationId, `  ${email.toUpperCase()} `, Role.ROLE_ADMIN);
    expect(token).toMatch(/^poli_[A-Za-z0-9_-]{43}$/);
    expect(invitation).toMatchObject({ organizationId, email, role: Role.ROLE_ADMIN, acceptedAt: '' });
    expect(Date.parse(invitation!.expiresAt) - Date.parse(invitation!.createdAt)).toBe(7 * 86_400_000);

    const session = await accept(token, testPassword, '  Ada Lovelace ');
    expect(session.user).toMatchObject({ email, name: 'Ada Lovelace' });
    expect(session.organization?.id).toBe(organizationId);
    expect(session.role).toBe(Role.ROLE_ADMIN);
    expect(session.refreshToken).toMatch(/^polr_[A-Za-z0-9_-]{43}$/);
    const claims = await verifySessionToken(session.accessToken, testSessionSecret);
    expect(claims).toMatchObject({ organizationId, userId: session.user!.id, sessionId: session.sessionId, role: 'ADMIN' });
    expect(claims.expiresAt.toISOString()).toBe(session.expiresAt);

    expect(await validate(session.sessionId)).toEqual({
      active: true,
      userId: session.user!.id,
      organizationId,
      role: Role.ROLE_ADMIN,
      // The organization's own limits (0: the defaults), carried so the gateway needs no other call.
      limits: { ingestRequestsPerSecond: 0, ingestEventsPerSecond: 0, graphqlCostPerSecond: 0 },
    });
    expect((await members(organizationId)).map((m) => [m.user?.email, m.role])).toEqual([[email, Role.ROLE_ADMIN]]);
    const { invitations } = await client.call(IdentityService.listInvitations, { organizationId });
    expect(invitations).toHaveLength(1);
    expect(invitations[0]!.acceptedAt).not.toBe('');
    expect(JSON.stringify(invitations)).not.toContain(token);
    // The new user signs in with the password they set.
    expect((await signIn(email)).user?.id).toBe(session.user!.id);
  });

  it('takes emails in any script, lower-cased', async () => {
    const organizationId = await createOrganization();
    const email = `ÉLODIE.ΣΟΦΙΑ.${Date.now()}@EXAMPLE.COM`;
    const { invitation, token } = await invite(organizationId, email);
    expect(invitation!.email).toBe(email.toLowerCase());
    await accept(token);
    expect((await signIn(email.toLowerCase())).user?.email).toBe(email.toLowerCase());
    expect((await signIn(email)).user?.email).toBe(email.toLowerCase());
  });

  it('works once: a used, revoked, expired or unknown token gets the same UNAUTHENTICATED answer', async () => {
    const organizationId = await createOrganization();
    const used = await invite(organizationId, uniqueEmail());
    await accept(used.token);
    const revoked = await invite(organizationId, uniqueEmail());
    expect(await client.call(IdentityService.revokeInvitation, { invitationId: revoked.invitation!.id })).toEqual({ revoked: true, organizationId });
    expect((await client.call(IdentityService.revokeInvitation, { invitationId: revoked.invitation!.id })).revoked).toBe(false);
    const expired = await invite(organizationId, uniqueEmail());
    await db.sql`update identity.invitations set expires_at = now() - interval '1 second' where id = ${expired.invitation!.id}`;
    const unknown = `poli_${'A'.repeat(43)}`;

    const answers = await Promise.all([used.token, revoked.token, expired.token, unknown].map(async (token) => grpcError(accept(token))));
    for (const err of answers) {
      expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(err.details).toBe(answers[0]!.details);
    }
    expect(answers[0]!.details).toBe('the invitation is invalid, expired or already used');
  });

  it('lets only one of two acceptances at once win', async () => {
    const organizationId = await createOrganization();
    const { token } = await invite(organizationId, uniqueEmail());
    const results = await Promise.allSettled([accept(token), accept(token)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(await members(organizationId)).toHaveLength(1);
  });

  it('refuses to invite a member again, naming email; a new invitation replaces a pending one', async () => {
    const organizationId = await createOrganization();
    const member = await createMember(host.grpcAddress, organizationId, Role.ROLE_VIEWER);
    const err = await grpcError(invite(organizationId, member.user!.email));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe('email: is already a member of this organization');

    const email = uniqueEmail();
    const first = await invite(organizationId, email);
    const second = await invite(organizationId, email, Role.ROLE_ADMIN);
    expect((await grpcError(accept(first.token))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await accept(second.token)).role).toBe(Role.ROLE_ADMIN);
  });

  it('adds an existing user with their own password, and refuses another password', async () => {
    const [first, second] = [await createOrganization('First'), await createOrganization('Second')];
    const existing = await createMember(host.grpcAddress, first, Role.ROLE_OWNER);
    const { token } = await invite(second, existing.user!.email, Role.ROLE_VIEWER);
    const wrong = await grpcError(accept(token, 'not the password at all'));
    expect(wrong.code).toBe(grpc.status.UNAUTHENTICATED);
    // The invitation survives a wrong password.
    const session = await accept(token, testPassword, 'ignored for an existing user');
    expect(session.user).toEqual(existing.user);
    expect(session.organization?.id).toBe(second);
    expect(session.role).toBe(Role.ROLE_VIEWER);
    const { memberships } = await client.call(IdentityService.getUser, { userId: existing.user!.id });
    expect(memberships.map((m) => [m.organization?.id, m.role])).toEqual([
      [first, Role.ROLE_OWNER],
      [second, Role.ROLE_VIEWER],
    ]);
  });

  it('answers NOT_FOUND for unknown organizations, invitations and users', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await grpcError(invite(missing, uniqueEmail()))).code).toBe(grpc.status.NOT_FOUND);
    expect((await grpcError(client.call(IdentityService.listInvitations, { organizationId: missing }))).code).toBe(grpc.status.NOT_FOUND);
    expect((await grpcError(client.call(IdentityService.listMembers, { organizationId: missing }))).code).toBe(grpc.status.NOT_FOUND);
    expect((await grpcError(client.call(IdentityService.revokeInvitation, { invitationId: missing }))).code).toBe(grpc.status.NOT_FOUND);
    expect((await grpcError(client.call(IdentityService.getUser, { userId: missing }))).code).toBe(grpc.status.NOT_FOUND);
    const organizationId = await createOrganization();
    const err = await grpcError(client.call(IdentityService.setMemberRole, { organizationId, userId: missing, role: Role.ROLE_ADMIN }));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect((await client.call(IdentityService.removeMember, { organizationId, userId: missing })).removed).toBe(false);
  });
});

describe('members', () => {
  it('keeps at least one OWNER: the last cannot be demoted or removed, another can', async () => {
    const organizationId = await createOrganization();
    const owner = await createMember(host.grpcAddress, organizationId, Role.ROLE_OWNER);
    const demote = await grpcError(client.call(IdentityService.setMemberRole, { organizationId, userId: owner.user!.id, role: Role.ROLE_ADMIN }));
    expect(demote.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(demote.details).toBe(`organization ${organizationId} must keep at least one OWNER: make another member OWNER first`);
    expect((await grpcError(client.call(IdentityService.removeMember, { organizationId, userId: owner.user!.id }))).code).toBe(grpc.status.FAILED_PRECONDITION);

    const second = await createMember(host.grpcAddress, organizationId, Role.ROLE_ADMIN);
    const promoted = await client.call(IdentityService.setMemberRole, { organizationId, userId: second.user!.id, role: Role.ROLE_OWNER });
    expect(promoted.member).toMatchObject({ user: second.user, role: Role.ROLE_OWNER });
    await client.call(IdentityService.setMemberRole, { organizationId, userId: owner.user!.id, role: Role.ROLE_MEMBER });
    expect((await members(organizationId)).map((m) => [m.user?.id, m.role])).toEqual([
      [owner.user!.id, Role.ROLE_MEMBER],
      [second.user!.id, Role.ROLE_OWNER],
    ]);
  });

  it('lets only one of two owners demoting each other at once succeed', async () => {
    const organizationId = await createOrganization();
    const a = await createMember(host.grpcAddress, organizationId, Role.ROLE_OWNER);
    const b = await createMember(host.grpcAddress, organizationId, Role.ROLE_OWNER);
    const results = await Promise.allSettled([
      client.call(IdentityService.setMemberRole, { organizationId, userId: a.user!.id, role: Role.ROLE_VIEWER }),
      client.call(IdentityService.removeMember, { organizationId, userId: b.user!.id }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect((await members(organizationId)).filter((m) => m.role === Role.ROLE_OWNER)).toHaveLength(1);
  });

  it('a role change shows in ValidateSession at once; removal ends the member’s sessions there', async () => {
    const organizationId = await createOrganization();
    await createMember(host.grpcAddress, organizationId, Role.ROLE_OWNER);
    const member = await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER);
    await client.call(IdentityService.setMemberRole, { organizationId, userId: member.user!.id, role: Role.ROLE_VIEWER });
    expect((await validate(member.sessionId)).role).toBe(Role.ROLE_VIEWER);
    // The refreshed access token carries the new role.
    const refreshed = await refresh(member.refreshToken);
    expect(refreshed.role).toBe(Role.ROLE_VIEWER);
    expect((await verifySessionToken(refreshed.accessToken, testSessionSecret)).role).toBe('VIEWER');

    expect((await client.call(IdentityService.removeMember, { organizationId, userId: member.user!.id })).removed).toBe(true);
    expect(await validate(member.sessionId)).toEqual({ active: false, userId: '', organizationId: '', role: Role.ROLE_UNSPECIFIED });
    expect((await grpcError(refresh(refreshed.refreshToken))).code).toBe(grpc.status.UNAUTHENTICATED);
    // Without a membership anywhere, the user cannot sign in: the same answer as a wrong password.
    const err = await grpcError(signIn(member.user!.email));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.details).toBe('wrong email or password');
  });
});

describe('passwords', () => {
  it('change: needs the current password, keeps the session it names, ends the others', async () => {
    const organizationId = await createOrganization();
    const first = await createMember(host.grpcAddress, organizationId, Role.ROLE_OWNER);
    const email = first.user!.email;
    const second = await signIn(email);
    const third = await signIn(email);
    const change = (currentPassword: string, newPassword: string) =>
      client.call(IdentityService.changePassword, { userId: first.user!.id, currentPassword, newPassword, sessionId: second.sessionId });

    const wrong = await grpcError(change('not my password!', 'a brand new password'));
    expect(wrong.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(wrong.details).toBe('current_password: is not the current password');
    expect((await validate(first.sessionId)).active).toBe(true);

    await change(testPassword, 'a brand new password');
    expect((await validate(first.sessionId)).active).toBe(false);
    expect((await validate(third.sessionId)).active).toBe(false);
    expect((await validate(second.sessionId)).active).toBe(true);
    expect((await grpcError(signIn(email))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await signIn(email, 'a brand new password')).user?.id).toBe(first.user!.id);
  });

  it('reset: the operator makes a one-time token; using it sets the password and ends every session', async () => {
    const organizationId = await createOrganization();
    const member = await createMember(host.grpcAddress, organizationId, Role.ROLE_MEMBER);
    const email = member.user!.email;
    const anonymous = rpcClient(host.grpcAddress, { adminToken: null });
    try {
      expect((await grpcError(anonymous.call(IdentityService.createPasswordReset, { email }))).code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      anonymous.close();
    }
    const superseded = await client.call(IdentityService.createPasswordReset, { email: email.toUpperCase() });
    const reset = await client.call(IdentityService.createPasswordReset, { email });
    expect(reset.token).toMatch(/^polp_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(reset.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);
    expect(Date.parse(reset.expiresAt) - Date.now()).toBeLessThanOrEqual(60 * 60_000);

    const resetTo = (token: string, newPassword = 'reset to this one') => client.call(IdentityService.resetPassword, { token, newPassword });
    const invalid = 'the password reset token is invalid, expired or already used';
    // A newer token makes the earlier one stop working.
    expect(await grpcError(resetTo(superseded.token))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: invalid });
    await resetTo(reset.token);
    expect((await validate(member.sessionId)).active).toBe(false);
    expect(await grpcError(resetTo(reset.token, 'and again to this'))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: invalid });
    expect((await signIn(email, 'reset to this one')).user?.id).toBe(member.user!.id);

    const expired = await client.call(IdentityService.createPasswordReset, { email });
    await db.sql`update identity.password_resets set expires_at = now() - interval '1 second' where used_at is null`;
    expect(await grpcError(resetTo(expired.token))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: invalid });
    expect((await grpcError(client.call(IdentityService.createPasswordReset, { email: uniqueEmail() }))).code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('bad input', () => {
  const uuid = '00000000-0000-4000-8000-000000000000';
  const refreshToken = `polr_${'A'.repeat(43)}`;
  const cases: Array<[keyof typeof IdentityService, object, string, string]> = [
    ['signIn', { email: '', password: 'x', organizationId: '', clientAddress: '' }, 'email', 'is required'],
    ['signIn', { email: 'no-at-sign', password: 'x', organizationId: '', clientAddress: '' }, 'email', 'must be an email address'],
    ['signIn', { email: 'two@@example.com', password: 'x', organizationId: '', clientAddress: '' }, 'email', 'must be an email address'],
    ['signIn', { email: 'a b@example.com', password: 'x', organizationId: '', clientAddress: '' }, 'email', 'must be an email address'],
    ['signIn', { email: `${'a'.repeat(250)}@example.com`, password: 'x', organizationId: '', clientAddress: '' }, 'email', 'at most 254'],
    ['signIn', { email: 'a@example.com', password: '', organizationId: '', clientAddress: '' }, 'password', 'is required'],
    ['signIn', { email: 'a@example.com', password: 'p'.repeat(257), organizationId: '', clientAddress: '' }, 'password', 'at most 256'],
    ['signIn', { email: 'a@example.com', password: 'x', organizationId: 'acme', clientAddress: '' }, 'organization_id', 'must be a UUID'],
    ['signIn', { email: 'a@example.com', password: 'x', organizationId: '', clientAddress: 'has spaces' }, 'client_address', 'printable ASCII'],
    ['refreshSession', { refreshToken: '', organizationId: '' }, 'refresh_token', 'is required'],
    ['refreshSession', { refreshToken: 'pol_abc', organizationId: '' }, 'refresh_token', 'is not a refresh token'],
    ['refreshSession', { refreshToken, organizationId: 'x' }, 'organization_id', 'must be a UUID'],
    ['signOut', { refreshToken: `poli_${'A'.repeat(43)}`, everywhere: false }, 'refresh_token', 'is not a refresh token'],
    ['validateSession', { sessionId: '' }, 'session_id', 'is required'],
    ['validateSession', { sessionId: 'DROP TABLE' }, 'session_id', 'must be a UUID'],
    ['signInWithOidc', { email: 'a@example.com', emailVerified: true, issuer: '', subject: 's', organizationId: '', clientAddress: '' }, 'issuer', 'is required'],
    ['signInWithOidc', { email: 'a@example.com', emailVerified: true, issuer: 'ftp://idp', subject: 's', organizationId: '', clientAddress: '' }, 'issuer', 'http(s) URL'],
    ['signInWithOidc', { email: 'a@example.com', emailVerified: true, issuer: 'https://idp', subject: '', organizationId: '', clientAddress: '' }, 'subject', 'is required'],
    ['signInWithOidc', { email: 'a@example.com', emailVerified: true, issuer: 'https://idp', subject: 's'.repeat(256), organizationId: '', clientAddress: '' }, 'subject', 'at most 255'],
    ['signInWithOidc', { email: 'nope', emailVerified: true, issuer: 'https://idp', subject: 's', organizationId: '', clientAddress: '' }, 'email', 'must be an email address'],
    ['getUser', { userId: 'me' }, 'user_id', 'must be a UUID'],
    ['changePassword', { userId: uuid, currentPassword: '', newPassword: 'long enough', sessionId: '' }, 'current_password', 'is required'],
    ['changePassword', { userId: uuid, currentPassword: 'x', newPassword: 'short', sessionId: '' }, 'new_password', 'at least 8'],
    ['changePassword', { userId: uuid, currentPassword: 'x', newPassword: 'n'.repeat(257), sessionId: '' }, 'new_password', 'at most 256'],
    ['changePassword', { userId: uuid, currentPassword: 'x', newPassword: 'long enough', sessionId: 'current' }, 'session_id', 'must be a UUID'],
    ['changePassword', { userId: '', currentPassword: 'x', newPassword: 'long enough', sessionId: '' }, 'user_id', 'is required'],
    ['createPasswordReset', { email: '' }, 'email', 'is required'],
    ['resetPassword', { token: `polr_${'A'.repeat(43)}`, newPassword: 'long enough' }, 'token', 'is not a password reset token'],
    ['resetPassword', { token: `polp_${'A'.repeat(43)}`, newPassword: 'short' }, 'new_password', 'at least 8'],
    ['resetPassword', { token: `polp_${'A'.repeat(43)}`, newPassword: 'with a \u0000 in it' }, 'new_password', 'U+0000'],
    ['inviteUser', { organizationId: uuid, email: 'x', role: Role.ROLE_MEMBER }, 'email', 'must be an email address'],
    ['inviteUser', { organizationId: uuid, email: 'x@example.com', role: Role.ROLE_UNSPECIFIED }, 'role', 'must be OWNER, ADMIN, MEMBER or VIEWER'],
    ['inviteUser', { organizationId: uuid, email: 'x@example.com', role: 99 }, 'role', 'must be OWNER, ADMIN, MEMBER or VIEWER'],
    ['inviteUser', { organizationId: '', email: 'x@example.com', role: Role.ROLE_MEMBER }, 'organization_id', 'is required'],
    ['acceptInvitation', { token: '', password: 'long enough', name: '', clientAddress: '' }, 'token', 'is required'],
    ['acceptInvitation', { token: `poli_${'A'.repeat(43)}`, password: 'short', name: '', clientAddress: '' }, 'password', 'at least 8'],
    ['acceptInvitation', { token: `poli_${'A'.repeat(43)}`, password: 'long enough', name: 'n'.repeat(201), clientAddress: '' }, 'name', 'at most 200'],
    ['acceptInvitation', { token: `poli_${'A'.repeat(43)}`, password: 'long enough', name: 'nul\u0000', clientAddress: '' }, 'name', 'U+0000'],
    ['listInvitations', { organizationId: '' }, 'organization_id', 'is required'],
    ['revokeInvitation', { invitationId: '1' }, 'invitation_id', 'must be a UUID'],
    ['listMembers', { organizationId: 'x' }, 'organization_id', 'must be a UUID'],
    ['setMemberRole', { organizationId: uuid, userId: uuid, role: Role.ROLE_UNSPECIFIED }, 'role', 'must be OWNER'],
    ['setMemberRole', { organizationId: uuid, userId: 'x', role: Role.ROLE_ADMIN }, 'user_id', 'must be a UUID'],
    ['removeMember', { organizationId: 'x', userId: uuid }, 'organization_id', 'must be a UUID'],
  ];

  const tables = ['users', 'memberships', 'invitations', 'sessions', 'refresh_tokens', 'password_resets', 'sign_in_failures', 'oidc_identities'];
  const rowCounts = async () =>
    Object.fromEntries(await Promise.all(tables.map(async (table) => [table, (await db.sql.unsafe(`select count(*)::int as n from identity.${table}`))[0]!.n])));

  it.each(cases)('%s answers INVALID_ARGUMENT naming the field, and stores nothing (%s %s)', async (method, request, field, message) => {
    const before = await rowCounts();
    const definition = IdentityService[method] as unknown as grpc.MethodDefinition<object, unknown>;
    const err = await grpcError(client.call(definition, { ...(definition.requestDeserialize(Buffer.alloc(0)) as object), ...request }));
    expect(err.code, err.details).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain(`${field}: `);
    expect(err.details).toContain(message);
    expect(await rowCounts()).toEqual(before);
  });
});

describe('hostile input', () => {
  const methods = [
    'signIn', 'refreshSession', 'signOut', 'validateSession', 'signInWithOidc', 'getUser', 'changePassword', 'createPasswordReset',
    'resetPassword', 'inviteUser', 'acceptInvitation', 'listInvitations', 'revokeInvitation', 'listMembers', 'setMemberRole', 'removeMember',
  ] as const;

  it('never makes a people RPC answer INTERNAL, and every refusal names its field', { timeout: 120_000 }, async () => {
    const organizationId = await createOrganization('Fuzzed');
    const member = await createMember(host.grpcAddress, organizationId, Role.ROLE_OWNER);
    // Values that pass some checks, so the calls reach deeper than validation.
    const plausible = fc.constantFrom(
      organizationId, member.user!.id, member.sessionId, member.user!.email, member.refreshToken, testPassword,
      `poli_${'A'.repeat(43)}`, `polp_${'A'.repeat(43)}`, 'https://idp.example.com', '192.0.2.1', '00000000-0000-4000-8000-000000000000',
    );
    const text = fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 2, arbitrary: plausible });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...methods), fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), text), fc.integer({ min: -2, max: 6 }), fc.boolean(), async (method, values, role, flag) => {
        const definition = IdentityService[method] as unknown as grpc.MethodDefinition<object, unknown>;
        const request = definition.requestDeserialize(Buffer.alloc(0)) as Record<string, unknown>;
        const strings = Object.keys(request).filter((key) => typeof request[key] === 'string');
        strings.forEach((key, i) => (request[key] = values['abcdef'[i]!] ?? ''));
        if ('role' in request) request.role = role;
        for (const key of Object.keys(request)) if (typeof request[key] === 'boolean') request[key] = flag;
        try {
          await client.call(definition, request);
        } catch (err) {
          const { code, details } = err as grpc.ServiceError;
          expect([grpc.status.INTERNAL, grpc.status.UNKNOWN], `${method} ${JSON.stringify(request).slice(0, 300)}: ${details}`).not.toContain(code);
          if (code === grpc.status.INVALID_ARGUMENT) expect(details).toMatch(/^[a-z_]+: /);
        }
      }),
      { numRuns: 300 },
    );
    // The member's own session may have been signed out or its token spent; the server still answers.
    expect((await client.call(IdentityService.getUser, { userId: member.user!.id })).user?.email).toBe(member.user!.email);
  });
});

describe('secrets at rest', () => {
  it('never stores a password or a token in plain text', async () => {
    const organizationId = await createOrganization('Secretive');
    const password = 'this-password-is-not-stored';
    const newPassword = 'neither-is-this-one';
    const { token: invitation } = await invite(organizationId, uniqueEmail());
    const session = await accept(invitation, password);
    const refreshed = await refresh(session.refreshToken);
    const { token: reset } = await client.call(IdentityService.createPasswordReset, { email: session.user!.email });
    await client.call(IdentityService.resetPassword, { token: reset, newPassword });
    const pending = (await invite(organizationId, uniqueEmail())).token;
    await grpcError(signIn(session.user!.email, 'a wrong password guess'));

    const secrets = [password, newPassword, invitation, session.refreshToken, refreshed.refreshToken, reset, pending, session.accessToken, refreshed.accessToken];
    const rows = await db.sql<{ row: string }[]>`
      select row_to_json(t)::text as row from identity.users t
      union all select row_to_json(t)::text from identity.invitations t
      union all select row_to_json(t)::text from identity.sessions t
      union all select row_to_json(t)::text from identity.refresh_tokens t
      union all select row_to_json(t)::text from identity.password_resets t
      union all select row_to_json(t)::text from identity.sign_in_failures t
      union all select row_to_json(t)::text from identity.memberships t`;
    const everything = rows.map((r) => r.row).join('\n');
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(secret.slice(5, 30)); // the random part alone
    }
    expect(everything).toMatch(/\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});
