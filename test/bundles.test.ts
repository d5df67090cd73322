/**
 * The bundles as Knative runs them: each built file started alone with PORT,
 * answering health checks, serving its RPC over h2c, and shutting down
 * gracefully on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService, ApiKeyStatus, Role } from '../proto/gen/polaris/identity/v1/identity.js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageService } from '../proto/gen/polaris/usage/v1/usage.js';
import { functionRegistry } from '../functions/registry.js';
import type { FunctionEntry } from '../shared/runtime/index.js';
import { deleteStream } from './support/nats.js';
import { bundlePath } from '../scripts/build.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { checkHealth, filesBySymbol, listServicesByReflection, rpcClient, testAdminToken, testSessionSecret, usageSummaryRequest } from './support/grpc.js';
import { testPassword, uniqueEmail } from './support/people.js';
import { verifySessionToken } from '../shared/session-token.js';
import { spawnBundle, spawnBundleOnFreePort, waitForOk, type SpawnedFunction } from './support/process.js';

let db: TestDatabase;
const suffix = randomBytes(4).toString('hex');
const stream = { stream: `TEST_BUNDLES_${suffix}`, subjectPrefix: `test.bundles.${suffix}` };
const running = new Map<string, SpawnedFunction>();

beforeAll(async () => {
  db = await createTestDatabase();
  // Each bundle binds a port of its own choosing (PORT=0) and logs it: ports picked
  // beforehand could go to two bundles. validate-api-key first, as the others' one
  // RPC (ingest's ValidateApiKey) goes to it.
  const start = async (entry: (typeof functionRegistry)[number], grpcAddress: Record<string, string>) => {
    const fn = await spawnBundleOnFreePort(bundlePath(entry.name), {
      DATABASE_URL: db.url,
      POLARIS_ADMIN_TOKEN: testAdminToken,
      POLARIS_SESSION_SECRET: testSessionSecret,
      ...grpcAddress,
      POLARIS_NATS_STREAM: stream.stream,
      POLARIS_NATS_SUBJECT_PREFIX: stream.subjectPrefix,
      K_SERVICE: entry.name,
      K_REVISION: `${entry.name}-00001`,
    });
    running.set(entry.name, fn);
    // All bundles start at once here, so this only catches hangs; npm run bench measures cold starts.
    await waitForOk(`http://127.0.0.1:${fn.port}/health/liveness`, 60_000);
    return fn;
  };
  const validator = functionRegistry.find((entry) => entry.name === 'validate-api-key')!;
  const validating = await start(validator, {});
  const others = functionRegistry.filter((entry) => entry !== validator);
  await Promise.all(others.map((entry) => start(entry, { POLARIS_GRPC_ADDRESS: `127.0.0.1:${validating.port}` })));
}, 120_000);

/** The source files a function's bundle was made of, from its source map. */
function bundleSources(name: string): string[] {
  return (JSON.parse(readFileSync(`${dirname(bundlePath(name))}/function.cjs.map`, 'utf8')) as { sources: string[] }).sources;
}

afterAll(async () => {
  for (const fn of running.values()) fn.child.kill('SIGKILL');
  await deleteStream('nats://127.0.0.1:4222', stream.stream);
  await db?.drop();
});

describe('each bundle, started alone with PORT', () => {
  it.each(functionRegistry.map((entry) => [entry.name]))('%s answers liveness and readiness', async (name) => {
    const fn = running.get(name)!;
    await waitForOk(`http://127.0.0.1:${fn.port}/health/readiness`, 5_000);
    const metrics = await (await fetch(`http://127.0.0.1:${fn.port}/metrics`)).text();
    expect(metrics).toContain(`service="${name}"`);
    expect(metrics).toContain(`revision="${name}-00001"`);
    // Started with the code cache the build made for it (a rejected cache starts it uncompiled, more slowly).
    expect(fn.output()).not.toContain('POLARIS_CODE_CACHE_REJECTED');
  });

  it('serves ValidateApiKey over h2c, with keys made by the create-organization bundle', async () => {
    const create = rpcClient(`127.0.0.1:${running.get('create-organization')!.port}`);
    const validate = rpcClient(`127.0.0.1:${running.get('validate-api-key')!.port}`);
    const revoke = rpcClient(`127.0.0.1:${running.get('revoke-api-key')!.port}`);
    try {
      const created = await create.call(IdentityService.createOrganization, { name: 'Bundled', externalId: '' });
      expect(await validate.call(IdentityService.validateApiKey, { apiKey: created.apiKey })).toMatchObject({
        valid: true,
        organizationId: created.organization!.id,
      });
      expect((await validate.call(IdentityService.validateApiKey, { apiKey: 'pol_nope' })).status).toBe(ApiKeyStatus.API_KEY_STATUS_UNKNOWN);
      await revoke.call(IdentityService.revokeApiKey, { apiKeyId: created.apiKeyId });
      expect((await validate.call(IdentityService.validateApiKey, { apiKey: created.apiKey })).status).toBe(ApiKeyStatus.API_KEY_STATUS_REVOKED);
    } finally {
      create.close();
      validate.close();
      revoke.close();
    }
  });

  it('ingest takes an event with a key that validate-api-key vouches for, and aggregate counts it', async () => {
    const create = rpcClient(`127.0.0.1:${running.get('create-organization')!.port}`);
    const summary = rpcClient(`127.0.0.1:${running.get('get-usage-summary')!.port}`);
    try {
      const { organization, apiKey } = await create.call(IdentityService.createOrganization, { name: 'Ingesting', externalId: '' });
      const response = await fetch(`http://127.0.0.1:${running.get('ingest')!.port}/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: '{"metric":"api_calls","quantity":4.5}',
      });
      expect(response.status).toBe(202);
      const aggregate = await fetch(`http://127.0.0.1:${running.get('aggregate')!.port}/`, {
        method: 'POST',
        headers: { 'ce-specversion': '1.0', 'ce-id': 'bundle-run-1', 'ce-source': '/test', 'ce-type': 'dev.polaris.aggregation.requested', 'content-type': 'application/json' },
        body: '{}',
      });
      expect(aggregate.status).toBe(202);
      const { aggregates } = await summary.call(UsageService.getUsageSummary, usageSummaryRequest({ organizationId: organization!.id, metric: 'api_calls' }));
      expect(aggregates.map((a) => a.total)).toEqual(['4.5']);
    } finally {
      create.close();
      summary.close();
    }
  });

  it('signs a user in with Argon2 from the bundle’s own native addon: invite-user, accept-invitation, sign-in, validate-session', async () => {
    const client = (name: string) => rpcClient(`127.0.0.1:${running.get(name)!.port}`);
    const [create, invite, accept, signIn, validate] = ['create-organization', 'invite-user', 'accept-invitation', 'sign-in', 'validate-session'].map(client);
    try {
      const { organization } = await create!.call(IdentityService.createOrganization, { name: 'Signing in', externalId: '' });
      const email = uniqueEmail('bundled');
      const { token } = await invite!.call(IdentityService.inviteUser, { organizationId: organization!.id, email, role: Role.ROLE_OWNER });
      await accept!.call(IdentityService.acceptInvitation, { token, password: testPassword, name: '', clientAddress: '' });
      const session = await signIn!.call(IdentityService.signIn, { email, password: testPassword, organizationId: '', clientAddress: '' });
      expect(await verifySessionToken(session.accessToken, testSessionSecret)).toMatchObject({ organizationId: organization!.id, role: 'OWNER' });
      expect((await validate!.call(IdentityService.validateSession, { sessionId: session.sessionId })).active).toBe(true);
    } finally {
      for (const c of [create, invite, accept, signIn, validate]) c!.close();
    }
  });

  it('lists its service through reflection and reports SERVING through grpc.health.v1', async () => {
    const address = `127.0.0.1:${running.get('validate-api-key')!.port}`;
    expect(await listServicesByReflection(address)).toEqual(['polaris.identity.v1.Identity']);
    expect(await filesBySymbol(address, 'polaris.identity.v1.ValidateApiKeyRequest')).toEqual(['polaris/identity/v1/identity.proto']);
    expect(await checkHealth(address, 'polaris.identity.v1.Identity')).toBe('SERVING');
  });

  it("carries its own service's descriptors for reflection, not every service's", async () => {
    const billing = `127.0.0.1:${running.get('set-plan')!.port}`;
    expect(await listServicesByReflection(billing)).toEqual(['polaris.billing.v1.Billing']);
    expect(await filesBySymbol(billing, 'polaris.billing.v1.SetPlanRequest')).toEqual(['polaris/billing/v1/billing.proto']);
    const identity = `127.0.0.1:${running.get('validate-api-key')!.port}`;
    await expect(filesBySymbol(identity, 'polaris.billing.v1.SetPlanRequest')).rejects.toThrow(/code 5/);
  });

  it("serves GraphiQL from the gateway's own folder, with Mercurius's file and subscription servers left out of the bundle", async () => {
    const gateway = `http://127.0.0.1:${running.get('gateway')!.port}`;
    const page = await fetch(`${gateway}/graphiql`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<script src="./graphiql/main.js"></script>');
    expect(await (await fetch(`${gateway}/graphiql/config.js`)).text()).toContain('window.GRAPHQL_ENDPOINT = "/graphql"');
    expect(await (await fetch(`${gateway}/graphiql/main.js`)).text()).toContain('GRAPHQL_ENDPOINT');
    const sources = bundleSources('gateway');
    expect(sources.some((source) => source.includes('node_modules/mercurius/'))).toBe(true);
    expect(sources.filter((source) => /node_modules\/(@fastify\/static|@fastify\/websocket|ws|glob)\//.test(source))).toEqual([]);
  });

  it('leaves @grpc/proto-loader and protobufjs out of the functions that serve no gRPC reflection', () => {
    const protoLoading = (name: string) => bundleSources(name).filter((source) => /node_modules\/(@grpc\/proto-loader|protobufjs)\//.test(source));
    // grpc-js is there (ingest calls ValidateApiKey), but not what it would load to serve channelz or ORCA.
    expect(bundleSources('ingest').some((source) => source.includes('node_modules/@grpc/grpc-js/'))).toBe(true);
    for (const entry of functionRegistry.filter((fn) => fn.kind !== 'grpc')) expect(protoLoading(entry.name), entry.name).toEqual([]);
    // gRPC reflection still loads its definitions with them.
    expect(protoLoading('validate-api-key').length).toBeGreaterThan(0);
  });

  it('leaves Fastify out of the event functions, whose bundles receive CloudEvents on node:http', () => {
    const fastify = (name: string) => bundleSources(name).filter((source) => /node_modules\/(fastify|find-my-way|avvio|light-my-request)\//.test(source));
    for (const entry of functionRegistry.filter((fn) => fn.kind === 'event')) expect(fastify(entry.name), entry.name).toEqual([]);
    expect(fastify('ingest').length).toBeGreaterThan(0);
  });

  it("leaves Fastify's schema compilers out of the HTTP functions whose routes declare no schemas", () => {
    const compilers = (name: string) => bundleSources(name).filter((source) => /node_modules\/(@fastify\/ajv-compiler|ajv\/dist\/core|fast-json-stringify\/index)/.test(source));
    const entries = functionRegistry as readonly FunctionEntry[];
    for (const entry of entries.filter((fn) => fn.kind === 'http' && !fn.routeSchemas)) expect(compilers(entry.name), entry.name).toEqual([]);
    expect(compilers('gateway').length).toBeGreaterThan(0);
  });

  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    const fn = running.get('create-api-key')!;
    const create = rpcClient(`127.0.0.1:${running.get('create-organization')!.port}`);
    const client = rpcClient(`127.0.0.1:${fn.port}`);
    try {
      const { organization } = await create.call(IdentityService.createOrganization, { name: 'Draining', externalId: '' });
      // Hold the organization's row: the new key's foreign-key check waits for it.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const transaction = db.sql.begin(async (tx) => {
        await tx`select id from identity.organizations where id = ${organization!.id} for update`;
        locked();
        await held;
      });
      await lockTaken;
      const inFlight = client.call(IdentityService.createApiKey, { organizationId: organization!.id, name: '', scopes: [], expiresAt: '' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      fn.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(fn.child.exitCode).toBeNull(); // still draining
      release();
      await transaction;
      const response = await inFlight;
      expect(response.apiKey).toMatch(/^pol_/);
      expect(await fn.exited).toBe(0);
    } finally {
      create.close();
      client.close();
    }
  });
});

describe('the runtime contract, for every bundle', () => {
  it('logs structured JSON to stdout, and exits 0 on SIGTERM', async () => {
    const stopped = [...running.entries()].filter(([, fn]) => fn.child.exitCode === null);
    for (const [, fn] of stopped) fn.child.kill('SIGTERM');
    for (const [name, fn] of stopped) {
      expect(await fn.exited, name).toBe(0);
      const lines = fn.stdout().split('\n').filter(Boolean);
      expect(lines.length, name).toBeGreaterThan(0);
      for (const line of lines) expect(() => JSON.parse(line), `${name}: ${line}`).not.toThrow();
    }
  });
});

describe('a bundle whose code cache V8 rejects', () => {
  it('says so, and starts all the same', async () => {
    // A young-generation size is one of the V8 flags a code cache is made with.
    const fn = await spawnBundleOnFreePort(bundlePath('get-organization'), {
      DATABASE_URL: db.url,
      POLARIS_ADMIN_TOKEN: testAdminToken,
      NODE_OPTIONS: '--max-semi-space-size=4',
    });
    try {
      await waitForOk(`http://127.0.0.1:${fn.port}/health/liveness`, 30_000);
      expect(fn.output()).toContain('[POLARIS_CODE_CACHE_REJECTED] Warning: the code cache was made by another Node version or with other V8 flags');
    } finally {
      fn.child.kill('SIGKILL');
    }
  });
});

describe("V8's settings around a bundle's start (shared/runtime/code-cache-loader.ts)", () => {
  // V8 prints a line for each function it sets out to optimize (--trace-opt).
  // The flag makes V8 reject the code cache, so the start compiles as it
  // goes: all the more for it to optimize, had it been let.
  const optimizations = (output: string) => output.split('\n').filter((line) => /target (TURBOFAN|MAGLEV)/.test(line)).length;
  const gateway = () =>
    spawnBundleOnFreePort(bundlePath('gateway'), { DATABASE_URL: db.url, POLARIS_ADMIN_TOKEN: testAdminToken, POLARIS_SESSION_SECRET: testSessionSecret }, 30_000, ['--trace-opt']);

  it('the gateway starts without optimizing its start, then optimizes what its requests run', async () => {
    const started = await gateway();
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    expect(optimizations(started.output())).toBe(0);

    const serving = await gateway();
    try {
      for (let i = 0; i < 2_000; i++) await (await fetch(`http://127.0.0.1:${serving.port}/health/liveness`)).text();
    } finally {
      serving.child.kill('SIGTERM');
    }
    expect(await serving.exited).toBe(0);
    expect(optimizations(serving.output())).toBeGreaterThan(0);
  }, 60_000);
});

describe('a bundle with invalid configuration', () => {
  it('exits 1 with one message naming every problem', async () => {
    const fn = spawnBundle(bundlePath('validate-api-key'), 1, {
      PORT: 'eighty',
      DATABASE_URL: 'mysql://user:hunter2@db/x',
      LOG_LEVEL: 'loud',
    });
    expect(await fn.exited).toBe(1);
    const output = fn.output();
    expect(output).toContain('http: PORT must be a whole number');
    expect(output).toContain('database: DATABASE_URL must be a postgres: or postgresql:// URL');
    expect(output).toContain('log: LOG_LEVEL must be one of');
    expect(output).not.toContain('hunter2');
  });
});
