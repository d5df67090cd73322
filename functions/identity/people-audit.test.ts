/**
 * The audit entries people's mutations declare, as the runtime reads them:
 * each function's `audit(request, response)` after its `handle` succeeded.
 * Actions as the design names them, targets by id, never a secret.
 */
import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../proto/gen/polaris/identity/v1/identity.js';
import { loadRuntimeConfig } from '../../shared/config.js';
import { createRuntime, type AuditRecord, type ProcessRuntime } from '../../shared/runtime/index.js';
import type { GrpcFunction } from '../../shared/runtime/function.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import { testAdminToken, testSessionSecret } from '../../test/support/grpc.js';
import { testPassword, uniqueEmail } from '../../test/support/people.js';
import { functionRegistry } from '../registry.js';
import { loadFunction } from '../load.js';
import { peopleContext } from './people-context.js';
import { IdentityService as Identity, IdentityStore } from './domain/index.js';
import acceptInvitation from './accept-invitation.js';
import changePassword from './change-password.js';
import createPasswordReset from './create-password-reset.js';
import inviteUser from './invite-user.js';
import removeMember from './remove-member.js';
import resetPassword from './reset-password.js';
import revokeInvitation from './revoke-invitation.js';
import setMemberRole from './set-member-role.js';
import signIn from './sign-in.js';
import signInWithOidc from './sign-in-with-oidc.js';
import signOut from './sign-out.js';

let db: TestDatabase;
let runtime: ProcessRuntime;
let context: Awaited<ReturnType<typeof peopleContext.create>>;
let organizationId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  runtime = createRuntime(
    loadRuntimeConfig({ DATABASE_URL: db.url, POLARIS_SESSION_SECRET: testSessionSecret, POLARIS_ADMIN_TOKEN: testAdminToken, LOG_LEVEL: 'silent' }),
  );
  context = await peopleContext.create(runtime);
  organizationId = (await new Identity(new IdentityStore(db.sql)).createOrganization({ name: 'Audited' })).organization.id;
});

afterAll(async () => {
  await runtime?.close();
  await db?.drop();
});

const records: AuditRecord[] = [];
const secrets: string[] = [testPassword];

/** Runs a function as the runtime does, and answers its response with the entry it declares. */
async function run<Req, Res>(fn: GrpcFunction<Req, Res, typeof context>, request: Req, metadata = new Metadata()) {
  const response = await fn.handle(request, context, metadata);
  // People's functions declare one entry each (close-invoices is the one that declares several).
  const declared = fn.audit?.(request, response);
  const record = declared === undefined ? undefined : ([] as AuditRecord[]).concat(declared)[0];
  if (record) records.push(record);
  return { response, record };
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const id = (prefix: string) => expect.stringMatching(new RegExp(`^${prefix}:${uuid.source.slice(1, -1)}$`));

describe('audit entries of people', () => {
  it('name the action, the object by id, the organization, and the user where the user acts', async () => {
    // As the gateway calls for the operator: its token, and the actor.
    const operator = new Metadata();
    operator.set('authorization', `Bearer ${testAdminToken}`);
    operator.set('polaris-actor', 'operator');
    const email = uniqueEmail('audited');
    const invited = await run(inviteUser, { organizationId, email, role: Role.ROLE_OWNER }, operator);
    secrets.push(invited.response.token);
    expect(invited.record).toEqual({ action: 'user.invite', target: `invitation:${invited.response.invitation!.id}`, organizationId });
    const [stored] = await db.sql<{ invitedBy: string }[]>`select invited_by from identity.invitations where id = ${invited.response.invitation!.id}`;
    expect(stored!.invitedBy).toBe('operator');

    const accepted = await run(acceptInvitation, { token: invited.response.token, password: testPassword, name: '', clientAddress: '' });
    const userId = accepted.response.user!.id;
    secrets.push(accepted.response.refreshToken, accepted.response.accessToken);
    expect(accepted.record).toEqual({ action: 'invitation.accept', target: `invitation:${invited.response.invitation!.id}`, organizationId, actor: `user:${userId}` });

    const signedIn = await run(signIn, { email, password: testPassword, organizationId: '', clientAddress: '' });
    secrets.push(signedIn.response.refreshToken);
    expect(signedIn.record).toEqual({ action: 'session.sign_in', target: `session:${signedIn.response.sessionId}`, organizationId, actor: `user:${userId}` });

    const viaProvider = await run(signInWithOidc, { email, emailVerified: true, issuer: 'https://idp.example.com', subject: 'abc', organizationId: '', clientAddress: '' });
    expect(viaProvider.record).toMatchObject({ action: 'session.sign_in', target: id('session'), actor: `user:${userId}` });

    const signedOut = await run(signOut, { refreshToken: signedIn.response.refreshToken, everywhere: false });
    expect(signedOut.record).toEqual({ action: 'session.sign_out', target: `session:${signedIn.response.sessionId}`, organizationId, actor: `user:${userId}` });
    // Nothing changed, nothing recorded.
    expect((await run(signOut, { refreshToken: signedIn.response.refreshToken, everywhere: false })).record).toBeUndefined();

    const changed = await run(changePassword, { userId, currentPassword: testPassword, newPassword: 'changed password 1', sessionId: '' });
    secrets.push('changed password 1');
    expect(changed.record).toEqual({ action: 'password.change', target: `user:${userId}` });

    const reset = await run(createPasswordReset, { email });
    secrets.push(reset.response.token);
    expect(reset.record).toEqual({ action: 'password.reset_create', target: `user:${userId}` });
    const used = await run(resetPassword, { token: reset.response.token, newPassword: 'reset password 22' });
    secrets.push('reset password 22');
    expect(used.record).toEqual({ action: 'password.reset', target: `user:${userId}`, actor: `user:${userId}` });

    const second = await run(inviteUser, { organizationId, email: uniqueEmail('second'), role: Role.ROLE_MEMBER });
    secrets.push(second.response.token);
    const secondUser = (await run(acceptInvitation, { token: second.response.token, password: testPassword, name: '', clientAddress: '' })).response.user!.id;
    expect((await run(setMemberRole, { organizationId, userId: secondUser, role: Role.ROLE_ADMIN })).record).toEqual({
      action: 'member.set_role',
      target: `user:${secondUser}`,
      organizationId,
    });
    expect((await run(removeMember, { organizationId, userId: secondUser })).record).toEqual({ action: 'member.remove', target: `user:${secondUser}`, organizationId });
    expect((await run(removeMember, { organizationId, userId: secondUser })).record).toBeUndefined();

    const third = await run(inviteUser, { organizationId, email: uniqueEmail('third'), role: Role.ROLE_VIEWER });
    const invitationId = third.response.invitation!.id;
    expect((await run(revokeInvitation, { invitationId })).record).toEqual({ action: 'invitation.revoke', target: `invitation:${invitationId}`, organizationId });
    expect((await run(revokeInvitation, { invitationId })).record).toBeUndefined();
  });

  it('never carry a secret', () => {
    const everything = JSON.stringify(records);
    expect(records.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });

  it('are declared by every people mutation, and by no read', async () => {
    const audited = ['sign-in', 'sign-out', 'sign-in-with-oidc', 'change-password', 'create-password-reset', 'reset-password', 'invite-user', 'accept-invitation', 'revoke-invitation', 'set-member-role', 'remove-member'];
    // Reads, and refresh: a session refreshes every few minutes, and its start and end are recorded.
    const unaudited = ['validate-session', 'get-user', 'list-invitations', 'list-members', 'refresh-session'];
    for (const name of [...audited, ...unaudited]) {
      const fn = (await loadFunction(functionRegistry.find((entry) => entry.name === name)!)) as GrpcFunction<unknown, unknown, unknown>;
      expect(typeof fn.audit, name).toBe(audited.includes(name) ? 'function' : 'undefined');
    }
  });
});
