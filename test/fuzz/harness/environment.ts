/**
 * The fuzz suite's host (test/fuzz/*.fuzz.test.ts): a fresh database, the
 * in-process host with the functions under fuzz, and tenants; and the
 * fast-check parameters every file runs with.
 *
 * Each file runs its cases in concurrent lanes (one fc.assert each, with
 * tenants of its own), since most of a case's time is waiting.
 *
 * Environment: FUZZ_SEED=<n> replays a run (each file prints its seed as it
 * starts, and fast-check the seed of a failure; lane i of a file runs with
 * seed n + i, the raw gRPC lanes with n + 1000 + i), FUZZ_NO_SHRINK=1 reports
 * the first failure as found, and FUZZ_INGEST_RUNS, FUZZ_CE_INGEST_RUNS,
 * FUZZ_CE_EVENTS_RUNS, FUZZ_GRPC_RUNS, FUZZ_GRPC_RAW_RUNS, FUZZ_GRAPHQL_RUNS
 * change the case counts. The defaults (1200, 450, 300, 600, 200, 700: 3,450
 * in all, every RPC some 20 times) keep `npm test` within its budget; a longer
 * hunt sets larger counts.
 */
import { randomInt } from 'node:crypto';
import { functionRegistry } from '../../../functions/registry.js';
import { IdentityService } from '../../../proto/gen/polaris/identity/v1/identity.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { rpcClient } from '../../support/grpc.js';
import { startTestHost, type TestHost } from '../../support/host.js';
import { deleteStream } from '../../support/nats.js';
import { createTenant, type TestTenant } from '../../support/tenants.js';

/**
 * The seed of this file's run: FUZZ_SEED, or a random one. Printed as the
 * file starts, so that any failure of the run (also one found after the
 * properties, as a stray row) can be replayed.
 */
const fileSeed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31 - 2000);
console.log(`fuzz: seed ${fileSeed} (FUZZ_SEED=${fileSeed} replays this file's cases)`);

/** fast-check parameters from the environment: lane `lane` of the file's seed, FUZZ_NO_SHRINK. */
export function fuzzParameters(lane = 0): { seed: number; endOnFailure?: boolean; interruptAfterTimeLimit: number } {
  return {
    seed: fileSeed + lane,
    // FUZZ_NO_SHRINK=1 reports the first failure as found.
    ...(process.env.FUZZ_NO_SHRINK ? { endOnFailure: true } : {}),
    // Shrinking a failure over real requests can take long: stop it in time to report (each test counts its cases too).
    interruptAfterTimeLimit: 100_000,
  };
}

/** HS256 secret the fuzz hosts are started with (JWT login on). */
export const fuzzJwtSecret = 'fuzz-jwt-secret-that-is-long-enough-0123456789';

export interface FuzzEnv {
  db: TestDatabase;
  host: TestHost;
  acme: TestTenant;
  globex: TestTenant;
  /** A tenant whose only key was revoked before any use. */
  revoked: TestTenant;
  close(): Promise<void>;
}

/** The functions under fuzz: every function of Identity, Usage, Billing, Payments (Stripe off), Webhooks and the GraphQL gateway. */
export const fuzzedFunctions = functionRegistry.filter((entry) => /^(identity|usage|billing|payments|webhooks|gateway)\//.test(entry.module));

/** A fresh database, the in-process host, and three tenants (one with its key revoked). */
export async function startFuzzEnv(env: Record<string, string> = {}): Promise<FuzzEnv> {
  const db = await createTestDatabase();
  const host = await startTestHost({
    databaseUrl: db.url,
    entries: fuzzedFunctions,
    env: { POLARIS_JWT_SECRET: fuzzJwtSecret, POLARIS_API_KEY_NEGATIVE_CACHE_SECONDS: '0', ...env },
  });
  const acme = await createTenant(host.grpcAddress, 'Acme');
  const globex = await createTenant(host.grpcAddress, 'Globex');
  const revoked = await createTenant(host.grpcAddress, 'Revoked');
  const operator = rpcClient(host.grpcAddress);
  try {
    await operator.call(IdentityService.revokeApiKey, { apiKeyId: revoked.apiKeyId });
  } finally {
    operator.close();
  }
  return {
    db,
    host,
    acme,
    globex,
    revoked,
    async close() {
      await host.close();
      await deleteStream(host.natsUrl, host.stream.stream);
      await db.drop();
    },
  };
}
