/**
 * Property-based fuzz of every RPC of Identity, Usage and Billing over the
 * real gRPC port: random request messages (plain objects completed with
 * the message's defaults) with random, empty, unicode, huge and hostile strings and
 * valid or invalid ids, sent with the operator token, without one, with a
 * wrong one or a malformed header; and raw random bytes as the request body
 * (identity serialization), to every method path. Properties, per call:
 *
 * - the status is never INTERNAL (13) nor UNKNOWN (2);
 * - every error carries non-empty `details`, and the errors the functions
 *   raise carry their stable code (`polaris-error-code` metadata);
 * - INVALID_ARGUMENT details name a field: `<field>: …` for each problem;
 * - operator RPCs refuse a missing token (UNAUTHENTICATED) and a wrong one
 *   (PERMISSION_DENIED);
 * - RecordUsage stores exactly one row when it succeeds (not a duplicate) and
 *   none when it fails;
 * - the server keeps answering: a final ValidateApiKey works.
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService } from '../../proto/gen/polaris/billing/v1/billing.js';
import { ApiKeyStatus, IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { UsageService } from '../../proto/gen/polaris/usage/v1/usage.js';
import { createTenant } from '../support/tenants.js';
import { usageSummaryRequest } from '../support/grpc.js';
import { credentials, malformedAuthorization, metadataFor, requestFor, rpcs, type RequestTenants } from './arbitraries/grpc-request.js';
import { nilUuid } from './arbitraries/text.js';
import { fuzzParameters, startFuzzEnv, type FuzzEnv } from './harness/environment.js';
import { Tally } from './harness/tally.js';

const messageRuns = Number(process.env.FUZZ_GRPC_RUNS ?? 600);
const rawRuns = Number(process.env.FUZZ_GRPC_RAW_RUNS ?? 200);
/** Lanes of calls run at once (each with its own client and tenants), so their waits overlap. */
const lanes = 8;

let env: FuzzEnv;
const tally = new Tally('grpc');

beforeAll(async () => {
  env = await startFuzzEnv();
});

afterAll(async () => {
  tally.print();
  await env?.close();
});

// ---------------------------------------------------------------------------
// Calls

/** A lane: its tenants, and a client of its own. */
interface LaneState extends RequestTenants {
  client: grpc.Client;
}

interface CallResult {
  error: grpc.ServiceError | null;
  response: unknown;
}

function call<Req, Res>(client: grpc.Client, path: string, serialize: (value: Req) => Buffer, deserialize: (value: Buffer) => Res, request: Req, metadata: grpc.Metadata): Promise<CallResult> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, serialize, deserialize, request, metadata, { deadline: Date.now() + 30_000 }, (error, response) =>
      resolve({ error: error ?? null, response }),
    ),
  );
}

// ---------------------------------------------------------------------------
// Checks

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkError(error: grpc.ServiceError, what: string, fromHandler: boolean): void {
  const internal = error.code === grpc.status.INTERNAL || error.code === grpc.status.UNKNOWN;
  if (internal) tally.count('internal');
  expect(internal, `${what}\n→ ${grpc.status[error.code]} ${error.details}`).toBe(false);
  expect(error.details, what).toBeTruthy();
  if (error.code === grpc.status.INVALID_ARGUMENT) {
    // Each problem names its field, list items by index (`percentages[0]`, `tiers[1].up_to`).
    for (const problem of error.details.split('; ')) expect(problem, `${what}\n→ ${error.details}`).toMatch(/^[a-z][a-z0-9_.]*(\[\d+\][a-z0-9_.]*)*: \S/);
  }
  if (fromHandler) {
    const code = error.metadata?.get('polaris-error-code')[0];
    if (typeof code !== 'string' || code === '') tally.uncoded += 1;
    expect(typeof code === 'string' && code !== '', `${what}\n→ ${grpc.status[error.code]} without polaris-error-code`).toBe(true);
  }
}

async function usageRows(orgId: string): Promise<number> {
  const [row] = await env.db.sql<{ n: number }[]>`select count(*)::int as n from usage.usage_events where org_id = ${orgId.toLowerCase()}::uuid`;
  return row!.n;
}

// ---------------------------------------------------------------------------

describe('gRPC fuzz', () => {
  let states: LaneState[] = [];

  beforeAll(async () => {
    states = await Promise.all(
      Array.from({ length: lanes }, async (_, i) => ({
        tenant: await createTenant(env.host.grpcAddress, `Lane ${i}`),
        victim: await createTenant(env.host.grpcAddress, `Victim ${i}`),
        revoked: env.revoked,
        client: new grpc.Client(env.host.grpcAddress, grpc.credentials.createInsecure()),
      })),
    );
  });

  afterAll(() => {
    for (const state of states) state.client.close();
  });

  it(`answers ${messageRuns} random request messages to every RPC without INTERNAL or UNKNOWN, every error coded`, async () => {
    const seen = new Set<string>();
    await Promise.all(
      states.map((lane, index) =>
        fc.assert(
          fc.asyncProperty(requestFor(lane), credentials, malformedAuthorization, async ({ rpc: r, partial }, creds, malformed) => {
            tally.cases += 1;
            seen.add(r.name);
            const request = r.fromPartial(partial) as Record<string, unknown>;
            const what = `${r.name} ${JSON.stringify(request).slice(0, 400)} (${creds === 'malformed' ? JSON.stringify(malformed) : creds})`;
            // RecordUsage for an organization no other lane uses: its rows can be counted.
            const orgId = typeof request.organizationId === 'string' ? request.organizationId : '';
            const countRows = r.name === 'Usage/RecordUsage' && uuidPattern.test(orgId) && orgId.toLowerCase() !== nilUuid && !/^f{8}-/i.test(orgId);
            const before = countRows ? await usageRows(orgId) : 0;

            const { error, response } = await call(lane.client, r.method.path, r.method.requestSerialize, r.method.responseDeserialize, request, metadataFor(creds, malformed));
            if (error) {
              tally.count('errors');
              checkError(error, what, true);
            } else {
              tally.count('ok');
            }

            if (r.operatorOnly && creds === 'none') expect(error?.code, what).toBe(grpc.status.UNAUTHENTICATED);
            if (r.operatorOnly && creds === 'wrong') expect(error?.code, what).toBe(grpc.status.PERMISSION_DENIED);
            if (r.operatorOnly && creds === 'malformed') expect([grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED], what).toContain(error?.code);
            if (countRows) {
              const added = (await usageRows(orgId)) - before;
              const fresh = !error && !(response as { duplicate: boolean }).duplicate;
              if (added !== (fresh ? 1 : 0)) tally.strayRows += 1;
              expect(added, `${what}\n→ ${error ? error.details : JSON.stringify(response)}`).toBe(fresh ? 1 : 0);
            }
          }),
          { numRuns: Math.ceil(messageRuns / lanes), ...fuzzParameters(index) },
        ),
      ),
    );
    expect([...seen].sort()).toEqual(rpcs.map((r) => r.name).sort());
  }, 180_000);

  it(`answers ${rawRuns} raw random request bodies without INTERNAL or UNKNOWN: INVALID_ARGUMENT when they are no message`, async () => {
    const identity = (value: Buffer) => value;
    const paths = [...rpcs.map((r) => r.method.path), '/polaris.identity.v1.Identity/Nope', '/polaris.nope.v1.Nope/Call', '/not-a-path'];
    const body = (lane: LaneState) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.uint8Array({ maxLength: 120 }) },
        {
          // A valid message with a few bytes changed, cut, or garbage appended.
          weight: 3,
          arbitrary: fc
            .tuple(requestFor(lane), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat(), fc.uint8Array({ maxLength: 8 }))
            .map(([{ rpc: r, partial }, flips, cut, tail]) => {
              const bytes = Buffer.from(r.method.requestSerialize(r.fromPartial(partial)));
              for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
              return new Uint8Array(Buffer.concat([bytes.subarray(0, bytes.length === 0 ? 0 : cut % (bytes.length + 1)), tail]));
            }),
        },
        { weight: 1, arbitrary: fc.constantFrom(new Uint8Array([0x0a, 0x01, 0xff]), new Uint8Array([0x0a, 0x05]), new Uint8Array([0x0b]), new Uint8Array([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])) },
      );
    await Promise.all(
      states.map((lane, index) =>
        fc.assert(
          fc.asyncProperty(fc.constantFrom(...paths), body(lane), credentials, async (path, bytes, creds) => {
            tally.cases += 1;
            tally.count('raw');
            const r = rpcs.find((candidate) => candidate.method.path === path);
            let decodes = r !== undefined;
            try {
              r?.method.requestDeserialize(Buffer.from(bytes));
            } catch {
              decodes = false;
            }
            const what = `${path} raw ${Buffer.from(bytes).toString('hex').slice(0, 200)} (${creds}, ${decodes ? 'decodes' : 'does not decode'})`;
            const { error } = await call(lane.client, path, identity, identity, Buffer.from(bytes), metadataFor(creds, 'Basic x'));
            if (!r) {
              // grpc-js refuses an unknown method itself, before any function: no Polaris code there.
              expect(error?.code, what).toBe(grpc.status.UNIMPLEMENTED);
              checkError(error!, what, false);
              return;
            }
            if (!decodes) {
              tally.count('undecodable');
              expect(error?.code, what).toBe(grpc.status.INVALID_ARGUMENT);
              expect(error?.details, what).toMatch(/^request: /);
            }
            if (error) checkError(error, what, true);
          }),
          { numRuns: Math.ceil(rawRuns / lanes), ...fuzzParameters(1000 + index) },
        ),
      ),
    );
  }, 180_000);

  it('still answers afterwards: ValidateApiKey of a live key is valid', async () => {
    const lane = states[0]!;
    const { error, response } = await call(
      lane.client,
      IdentityService.validateApiKey.path,
      IdentityService.validateApiKey.requestSerialize,
      IdentityService.validateApiKey.responseDeserialize,
      { apiKey: lane.tenant.apiKey },
      new grpc.Metadata(),
    );
    expect(error).toBeNull();
    expect(response).toMatchObject({ valid: true, status: ApiKeyStatus.API_KEY_STATUS_VALID, organizationId: lane.tenant.organizationId });
    expect(tally.cases).toBeGreaterThanOrEqual(messageRuns + rawRuns);
  });

  // Found by this suite, fixed in ddde028: U+0000 in a stored text field
  // (CreateOrganization.name, SetPlan.name, RecordUsage.idempotency_key)
  // answered INTERNAL, PostgreSQL refusing the byte.
  it('CreateOrganization with a name holding U+0000 answers INVALID_ARGUMENT naming name', async () => {
    const { error } = await call(
      states[0]!.client,
      IdentityService.createOrganization.path,
      IdentityService.createOrganization.requestSerialize,
      IdentityService.createOrganization.responseDeserialize,
      { name: 'a\u0000b', externalId: '' },
      metadataFor('operator', ''),
    );
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/^name: /);
  });

  // Found by this suite, fixed in ddde028: dates PostgreSQL cannot hold passed
  // the validators and answered INTERNAL.
  it('GetUsageSummary for December 9999 answers INVALID_ARGUMENT', async () => {
    const lane = states[0]!;
    const { error } = await call(
      lane.client,
      UsageService.getUsageSummary.path,
      UsageService.getUsageSummary.requestSerialize,
      UsageService.getUsageSummary.responseDeserialize,
      usageSummaryRequest({ organizationId: lane.tenant.organizationId, from: '9999-12-01', to: '9999-12-31T23:59:59Z' }),
      new grpc.Metadata(),
    );
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('GenerateInvoice for January of year 0 answers INVALID_ARGUMENT', async () => {
    const lane = states[0]!;
    const { error } = await call(
      lane.client,
      BillingService.generateInvoice.path,
      BillingService.generateInvoice.requestSerialize,
      BillingService.generateInvoice.responseDeserialize,
      { organizationId: lane.tenant.organizationId, periodStart: '0000-01-01', periodEnd: '0000-02-01' },
      metadataFor('operator', ''),
    );
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  // Found by this suite, fixed in ddde028: a body that is no valid message (here
  // field 1 announces 5 bytes and none follow) was refused by grpc-js itself
  // with INTERNAL "Error deserializing request".
  it('ValidateApiKey with a truncated body answers INVALID_ARGUMENT', async () => {
    const identity = (value: Buffer) => value;
    const { error } = await call(states[0]!.client, IdentityService.validateApiKey.path, identity, identity, Buffer.from([0x0a, 0x05]), new grpc.Metadata());
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.metadata.get('polaris-error-code')).toEqual(['invalid_argument']);
  });
});
