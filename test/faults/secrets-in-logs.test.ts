/**
 * A full scenario with every log at debug level, then a search of all of it:
 * no API key, admin token, JWT, JWT secret, database password, user's
 * password, session token or one-time token appears.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { IdentityService, Role } from '../../proto/gen/polaris/identity/v1/identity.js';
import { rpcClient, testAdminToken } from '../support/grpc.js';
import { deleteStream } from '../support/nats.js';
import { BundleSet } from './bundles.js';
import { allMigrations } from '../../functions/migrations.js';

const suffix = randomBytes(4).toString('hex');
const password = `pw-${randomBytes(12).toString('hex')}`;
const jwtSecret = `jwt-${randomBytes(24).toString('hex')}`;
const sessionSecret = `session-${randomBytes(24).toString('hex')}`;
const userPassword = `user-pw-${randomBytes(12).toString('hex')}`;
const role = `polaris_secret_${suffix}`;
let db: TestDatabase;
let bundles: BundleSet;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`create role ${role} login password '${password}'`);
  for (const { schema } of allMigrations) {
    await db.sql.unsafe(`grant usage on schema ${schema} to ${role}; grant all on all tables in schema ${schema} to ${role}; grant all on all sequences in schema ${schema} to ${role}`);
  }
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  bundles = await BundleSet.start(
    ['validate-api-key', 'get-organization', 'create-organization', 'ingest', 'gateway', 'invite-user', 'accept-invitation', 'sign-in', 'refresh-session', 'validate-session'],
    {
    DATABASE_URL: url.toString(),
    POLARIS_JWT_SECRET: jwtSecret,
    POLARIS_SESSION_SECRET: sessionSecret,
    POLARIS_NATS_STREAM: `TEST_SECRETS_${suffix}`,
    POLARIS_NATS_SUBJECT_PREFIX: `test.secrets.${suffix}`,
    LOG_LEVEL: 'debug',
    },
  );
}, 120_000);

afterAll(async () => {
  bundles?.killAll();
  await deleteStream('nats://127.0.0.1:4222', `TEST_SECRETS_${suffix}`);
  await db?.sql.unsafe(`drop owned by ${role}; drop role if exists ${role}`).catch(() => {});
  await db?.drop();
});

describe('logs', () => {
  it('never hold a credential or a password', async () => {
    const tenant = await bundles.createTenant();
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(tenant.organizationId).setExpirationTime('5m').sign(new TextEncoder().encode(jwtSecret));
    const gateway = bundles.url('gateway');
    const graphql = (headers: Record<string, string>, query: string) =>
      fetch(`${gateway}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });

    const ingest = (key: string, body: string) => fetch(`${bundles.url('ingest')}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
    expect((await ingest(tenant.apiKey, '{"metric":"api_calls","quantity":1}')).status).toBe(202);
    expect((await ingest(tenant.apiKey, '{"metric":"Bad","quantity":-1}')).status).toBe(400);
    expect((await ingest(`${tenant.apiKey}x`, '{"metric":"api_calls","quantity":1}')).status).toBe(401);
    expect((await graphql({ 'x-api-key': tenant.apiKey }, '{ me { id } }')).status).toBe(200);
    expect((await graphql({ authorization: `Bearer ${jwt}` }, '{ me { id } }')).status).toBe(200);
    expect((await graphql({ authorization: `Bearer ${jwt}x` }, '{ me { id } }')).status).toBe(200);
    expect((await graphql({ authorization: `Bearer ${testAdminToken}` }, 'mutation { createOrganization(name: "Logged") { apiKey } }')).status).toBe(200);
    expect((await graphql({ authorization: `Bearer ${testAdminToken}` }, '{ nonsense }')).status).toBe(400);

    // A person, through the people functions' own bundles (each RPC on its own port): invited,
    // joining with a password, signing in (once wrongly), renewing the session.
    const clients = new Map<string, ReturnType<typeof rpcClient>>();
    const identity = (name: string) => clients.get(name) ?? clients.set(name, rpcClient(`127.0.0.1:${bundles.port(name)}`)).get(name)!;
    const email = `ada-${suffix}@example.com`;
    const invited = await identity('invite-user').call(IdentityService.inviteUser, { organizationId: tenant.organizationId, email, role: Role.ROLE_ADMIN });
    const invitationToken = invited.token;
    const joined = await identity('accept-invitation').call(IdentityService.acceptInvitation, { token: invitationToken, password: userPassword, name: 'Ada', clientAddress: '' });
    const signIn = (password: string) => identity('sign-in').call(IdentityService.signIn, { email, password, organizationId: '', clientAddress: '203.0.113.7' });
    await expect(signIn(`${userPassword}x`)).rejects.toThrow();
    const session = await signIn(userPassword);
    const renewed = await identity('refresh-session').call(IdentityService.refreshSession, { refreshToken: session.refreshToken, organizationId: '' });
    expect((await identity('validate-session').call(IdentityService.validateSession, { sessionId: renewed.sessionId })).active).toBe(true);
    for (const client of clients.values()) client.close();
    const personalSecrets = [
      userPassword,
      sessionSecret,
      invitationToken,
      joined.accessToken,
      joined.refreshToken,
      session.accessToken,
      session.refreshToken,
      renewed.accessToken,
      renewed.refreshToken,
    ];
    // Make the database answer with an error the logs will report.
    await db.sql.unsafe(`revoke all on all tables in schema usage from ${role}`);
    expect((await ingest(tenant.apiKey, '{"metric":"api_calls","quantity":2}')).status).toBe(500);

    for (const name of bundles.running.keys()) await bundles.stop(name);
    const logs = [...bundles.running.values()].map((fn) => fn.output()).join('\n');
    expect(logs.length).toBeGreaterThan(1000);
    for (const secret of [tenant.apiKey, tenant.apiKey.slice(4), testAdminToken, jwt, jwt.split('.')[2]!, jwtSecret, password, ...personalSecrets]) {
      expect(logs, 'a secret appears in the logs').not.toContain(secret);
    }
    console.log(`faults: secrets-in-logs bytes=${logs.length} secrets found: 0`);
  }, 120_000);
});
