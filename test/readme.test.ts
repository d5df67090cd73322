/**
 * The README's examples, run as written against a fresh `npm start`: every
 * fenced `sh` block (blocks fenced `shell` are illustrations, not run). Their
 * `npm run -s polaris -- …` runs the operator tool from a bundle
 * (test/support/operator-tool.ts): the same tool, without tsx's start-up.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePorts } from '../scripts/local/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { npmWithOperatorToolBundle, operatorToolBundle, runOperatorTool } from './support/operator-tool.js';

const blocks = [...readFileSync('README.md', 'utf8').matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((match) => match[1]!);

let db: TestDatabase;
let polaris: ReturnType<typeof spawn>;
let httpPort: number;
const env: Record<string, string> = {};
/** Defines `npm` for the blocks: the bash function of npmWithOperatorToolBundle. */
let npmFunction: string;

beforeAll(async () => {
  npmFunction = npmWithOperatorToolBundle(operatorToolBundle());
  db = await createTestDatabase({ migrate: false });
  let grpcPort: number;
  [httpPort, grpcPort] = await findFreePorts(2);
  const { POLARIS_ADMIN_TOKEN: _ignored, ...inherited } = process.env;
  polaris = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env: { ...inherited, DATABASE_URL: db.url, POLARIS_HTTP_PORT: String(httpPort), POLARIS_GRPC_PORT: String(grpcPort), POLARIS_AGGREGATION_INTERVAL: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Polaris is ready')) resolve();
    };
    polaris.stdout!.on('data', onData);
    polaris.stderr!.on('data', onData);
    polaris.once('exit', () => reject(new Error(output)));
  });
  env.ADMIN = /Admin token: (\S+)/.exec(output)![1]!;
  env.POLARIS_URL = `http://127.0.0.1:${httpPort}`;
  // The first session's organization, as its reader would have noted it.
  const created = await runOperatorTool(['org', 'create', '--name', 'Readme'], env);
  const { organization, apiKey } = JSON.parse(created.stdout);
  env.ORG = organization.id;
  env.KEY = apiKey;
}, 60_000);

afterAll(async () => {
  if (polaris && polaris.exitCode === null) {
    const exited = new Promise((resolve) => polaris.once('exit', resolve));
    polaris.kill('SIGINT');
    await exited;
  }
  await db?.drop();
});

describe('the README', () => {
  it('has examples to run', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
  });

  it.each(blocks.map((block, index) => [index + 1, block.split('\n')[0]!, block]))('example %i (%s) runs without an error', (_index, _first, block) => {
    const script = npmFunction + block.replaceAll('localhost:8080', `localhost:${httpPort}`);
    // A block runs real commands: a minute, on a loaded 2-core machine.
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.status).toBe(0);
    for (const line of result.stdout.split('\n')) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      expect(value, line).not.toHaveProperty('errors');
      expect(value, line).not.toHaveProperty('error');
    }
  }, 70_000);
});
