/**
 * `npm start` as a user runs it: the whole bundle of functions in one command,
 * the operator tool against it, and a clean stop on Ctrl-C.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePorts, locationFileName } from '../scripts/local/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { checkHealth, listServicesByReflection } from './support/grpc.js';

const tsx = join(process.cwd(), 'node_modules/.bin/tsx');
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await db?.drop();
});

function startPolaris(env: Record<string, string>, cwd = process.cwd()) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('Polaris is ready')) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`npm start exited:\n${output}`));
    });
  });
  ready.catch(() => {}); // awaited by the tests that expect a start; others watch `exited`
  return { child, ready, exited, output: () => output };
}

describe('npm start', () => {
  it('brings every function up, prints the admin token, serves the operator tool, and stops cleanly', async () => {
    const [httpPort, grpcPort] = await findFreePorts(2);
    const stateDir = mkdtempSync(join(tmpdir(), 'polaris-start-'));
    const polaris = startPolaris({
      DATABASE_URL: db.url,
      POLARIS_HTTP_PORT: String(httpPort),
      POLARIS_GRPC_PORT: String(grpcPort),
      POLARIS_STATE_DIR: stateDir,
      POLARIS_ADMIN_TOKEN: '',
    });
    await polaris.ready;
    const token = /Admin token: (\S+)/.exec(polaris.output())?.[1];
    expect(token).toMatch(/^pol_admin_/);

    expect((await fetch(`http://127.0.0.1:${httpPort}/health/readiness`)).status).toBe(200);
    expect(await listServicesByReflection(`127.0.0.1:${grpcPort}`)).toContain('polaris.identity.v1.Identity');
    expect(await checkHealth(`127.0.0.1:${grpcPort}`)).toBe('SERVING');

    const cli = (...args: string[]) =>
      spawnSync(tsx, ['scripts/polaris.ts', ...args], {
        env: { ...process.env, POLARIS_URL: `http://127.0.0.1:${httpPort}`, POLARIS_STATE_DIR: stateDir, POLARIS_ADMIN_TOKEN: '' },
        encoding: 'utf8',
      });
    const created = cli('org', 'create', '--name', 'Acme');
    expect(created.status).toBe(0);
    const { organization, apiKey } = JSON.parse(created.stdout);
    expect(organization.name).toBe('Acme');
    expect(apiKey).toMatch(/^pol_/);
    const bad = cli('org', 'get', '--id', 'nope');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stderr).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });

    // Meters, and usage by window, time zone, group and filter.
    const meter = cli('meter', 'create', '--metric', 'seats', '--name', 'Seats', '--aggregation', 'unique_count', '--value-property', 'user_id', '--group-by', 'region,tier');
    expect(meter.status, meter.stderr).toBe(0);
    const seats = { metric: 'seats', name: 'Seats', aggregation: 'UNIQUE_COUNT', valueProperty: 'user_id', groupBy: ['region', 'tier'] };
    expect(JSON.parse(meter.stdout)).toEqual(seats);
    expect(JSON.parse(cli('meter', 'list').stdout)).toContainEqual(seats);
    const window = ['--org', organization.id, '--metric', 'seats', '--window', 'hour', '--time-zone', 'Asia/Kathmandu', '--group-by', 'region'];
    const usage = cli('usage', 'get', ...window, '--where', 'region=eu,us', '--where', 'tier=pro');
    expect(usage.status, usage.stderr).toBe(0);
    expect(JSON.parse(usage.stdout)).toEqual([]);
    const badZone = cli('usage', 'get', ...window.slice(0, -4), '--time-zone', 'Mars/Olympus_Mons');
    expect(badZone.status).toBe(1);
    expect(JSON.parse(badZone.stderr).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'timeZone' }] });
    const badWhere = cli('usage', 'get', ...window, '--where', 'region');
    expect(badWhere.status).toBe(2);
    expect(badWhere.stderr).toContain('--where takes <key>=<value>');

    // Prices in every model, per property value, from a later period; billing terms; a month's close and a void.
    const org = ['--org', organization.id];
    const monthStart = (offset: number) => new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + offset, 1)).toISOString();
    const terms = cli('terms', 'set', ...org, '--fee', '10', '--fee-name', 'Platform', '--minimum', '25');
    expect(terms.status, terms.stderr).toBe(0);
    expect(JSON.parse(cli('terms', 'get', ...org).stdout)).toEqual({ timeZone: 'UTC', recurringFee: '10', recurringFeeName: 'Platform', minimum: '25', currency: null });
    const perUnit = cli('plan', 'set', ...org, '--name', 'API', '--metric', 'api_calls', '--unit-price', '0.5', '--free-quota', '10', '--effective-from', monthStart(-1).slice(0, 10));
    expect(perUnit.status, perUnit.stderr).toBe(0);
    expect(JSON.parse(perUnit.stdout)).toMatchObject({ model: 'PER_UNIT', unitPrice: '0.5', freeQuota: '10', effectiveFrom: monthStart(-1) });
    const tiered = cli('plan', 'set', ...org, '--name', 'API', '--metric', 'api_calls', '--model', 'graduated', '--tier', '1000:0', '--tier', '10000:0.002:1', '--tier', '*:0.001', '--effective-from', monthStart(1));
    expect(tiered.status, tiered.stderr).toBe(0);
    expect(JSON.parse(tiered.stdout)).toMatchObject({
      model: 'GRADUATED',
      tiers: [
        { upTo: '1000', unitPrice: '0', flatPrice: '0' },
        { upTo: '10000', unitPrice: '0.002', flatPrice: '1' },
        { upTo: null, unitPrice: '0.001', flatPrice: '0' },
      ],
      effectiveFrom: monthStart(1),
    });
    const perSeat = cli('plan', 'set', ...org, '--name', 'EU seats', '--metric', 'seats', '--model', 'package', '--package-size', '5', '--package-price', '20', '--where', 'region=eu');
    expect(perSeat.status, perSeat.stderr).toBe(0);
    expect(JSON.parse(perSeat.stdout)).toMatchObject({ model: 'PACKAGE', packageSize: '5', packagePrice: '20', where: [{ key: 'region', value: 'eu' }] });
    expect(JSON.parse(cli('plan', 'list', ...org).stdout).map((plan: { metric: string; model: string }) => `${plan.metric} ${plan.model}`).sort()).toEqual(['api_calls PER_UNIT', 'seats PACKAGE']);
    expect(JSON.parse(cli('plan', 'history', ...org).stdout)).toHaveLength(3);
    const badTier = cli('plan', 'set', ...org, '--name', 'x', '--metric', 'x', '--model', 'volume', '--tier', '100');
    expect(badTier.status).toBe(2);
    expect(badTier.stderr).toContain('--tier takes <upTo>:<unitPrice>');
    const badPackage = cli('plan', 'set', ...org, '--name', 'x', '--metric', 'x', '--model', 'package', '--package-size', '0', '--package-price', '1');
    expect(badPackage.status).toBe(1);
    expect(JSON.parse(badPackage.stderr).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'packageSize' }] });

    // 20 API calls late last month, priced at last month's price (the fee and minimum start this month).
    const lastHour = new Date(new Date(monthStart(0)).getTime() - 3_600_000).toISOString();
    const ingested = await fetch(`http://127.0.0.1:${httpPort}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify([{ metric: 'api_calls', quantity: 20, timestamp: lastHour }]),
    });
    expect(ingested.status).toBeLessThan(300);
    expect(cli('aggregate', ...org).status).toBe(0);
    let invoice: { id: string; amount: string };
    for (let attempt = 0; ; attempt += 1) {
      const generated = cli('invoice', 'generate', ...org, '--from', monthStart(-1).slice(0, 10), '--to', monthStart(0).slice(0, 10));
      expect(generated.status, generated.stderr).toBe(0);
      invoice = JSON.parse(generated.stdout);
      if (invoice.amount === '5.00' || attempt === 20) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(invoice).toMatchObject({ amount: '5.00', lineItems: [expect.objectContaining({ kind: 'usage', metric: 'api_calls', billableQuantity: '10' })] });
    expect(cli('invoice', 'close').status).toBe(0);
    const finalized = JSON.parse(cli('invoice', 'finalize', '--id', invoice.id).stdout);
    expect(finalized).toMatchObject({ status: 'finalized', number: expect.any(String) });
    const voided = cli('invoice', 'void', '--id', invoice.id, '--reason', 'Calls counted twice');
    expect(voided.status, voided.stderr).toBe(0);
    expect(JSON.parse(voided.stdout)).toMatchObject({ status: 'void', voidReason: 'Calls counted twice', number: finalized.number });
    const invoices = JSON.parse(cli('invoice', 'list', ...org).stdout);
    const open = invoices.find((one: { periodStart: string }) => one.periodStart === monthStart(0));
    // The voided invoice, credited, naming its period.
    expect(open.lineItems).toContainEqual(expect.objectContaining({ kind: 'credit', amount: '-5.00', forPeriodStart: monthStart(-1) }));

    polaris.child.kill('SIGINT');
    expect(await polaris.exited).toBe(0);
    rmSync(stateDir, { recursive: true, force: true });
  }, 180_000);

  it('starts from a checkout in a private directory on the embedded PostgreSQL', async () => {
    // A fresh `mktemp -d` directory (0700), as /root is: as root, PostgreSQL's own user cannot enter it.
    const privateDir = mkdtempSync(join(tmpdir(), 'polaris-checkout-'));
    const checkout = join(privateDir, 'polaris');
    // The working tree's files as a clone has them (with changes not yet committed), and its installed packages.
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' }).split('\0');
    for (const file of files.filter((name) => name !== '' && existsSync(name))) {
      mkdirSync(join(checkout, dirname(file)), { recursive: true });
      copyFileSync(file, join(checkout, file));
    }
    symlinkSync(join(process.cwd(), 'node_modules'), join(checkout, 'node_modules'));
    const relocatedData = () => {
      const location = join(checkout, '.polaris', locationFileName);
      return existsSync(location) ? /^data: (\/var\/lib\/polaris\/postgres\/[0-9a-f]+)$/m.exec(readFileSync(location, 'utf8'))?.[1] : undefined;
    };
    try {
      const [httpPort, grpcPort] = await findFreePorts(2);
      // No DATABASE_URL, and the default state directory `.polaris/` of the checkout.
      const polaris = startPolaris(
        { DATABASE_URL: '', POLARIS_STATE_DIR: '', POLARIS_HTTP_PORT: String(httpPort), POLARIS_GRPC_PORT: String(grpcPort), POLARIS_AGGREGATION_INTERVAL: '0' },
        checkout,
      );
      try {
        await polaris.ready;
        expect((await fetch(`http://127.0.0.1:${httpPort}/health/readiness`)).status).toBe(200);
        if (process.getuid?.() === 0) expect(polaris.output()).toContain(`the cluster's data is kept in ${relocatedData()}`);
      } finally {
        polaris.child.kill('SIGINT');
      }
      expect(await polaris.exited).toBe(0);
    } finally {
      const data = relocatedData();
      if (data) rmSync(data, { recursive: true, force: true });
      rmSync(privateDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses to start on invalid configuration, listing every problem', async () => {
    const polaris = startPolaris({ POLARIS_HTTP_PORT: 'http', POLARIS_GRPC_PORT: '0', POLARIS_AGGREGATION_INTERVAL: '-5' });
    expect(await polaris.exited).toBe(1);
    const output = polaris.output();
    expect(output).toContain("http: POLARIS_HTTP_PORT must be a whole number from 1 to 65535, got 'http'");
    expect(output).toContain("grpc: POLARIS_GRPC_PORT must be a whole number from 1 to 65535, got '0'");
    expect(output).toContain("aggregation: POLARIS_AGGREGATION_INTERVAL must be a whole number from 0 to 86400, got '-5'");
  }, 30_000);
});
