/**
 * `npm start` as a user runs it: the whole bundle of functions in one command,
 * from a fresh checkout on the embedded PostgreSQL, the operator tool against
 * it, and a clean stop on Ctrl-C.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFreePorts, locationFileName } from '../scripts/local/index.js';
import { checkHealth, listServicesByReflection } from './support/grpc.js';
import { runOperatorTool } from './support/operator-tool.js';

const tsx = join(process.cwd(), 'node_modules/.bin/tsx');

function startPolaris(env: Record<string, string>, cwd = process.cwd()) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Polaris is ready')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`npm start exited:\n${output}`)));
  });
  ready.catch(() => {}); // awaited by the tests that expect a start; others watch `exited`
  return { child, ready, exited, output: () => output };
}

/** A copy of the working tree's files as a clone has them (with changes not yet committed), with its installed packages, in a fresh `mktemp -d` directory (0700). */
function privateCheckout(): { privateDir: string; checkout: string } {
  const privateDir = mkdtempSync(join(tmpdir(), 'polaris-checkout-'));
  const checkout = join(privateDir, 'polaris');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' }).split('\0');
  // (node_modules itself is listed when it is a symbolic link, as in a worktree sharing another's packages.)
  for (const file of files.filter((name) => name !== '' && name !== 'node_modules' && existsSync(name))) {
    mkdirSync(join(checkout, dirname(file)), { recursive: true });
    copyFileSync(file, join(checkout, file));
  }
  symlinkSync(join(process.cwd(), 'node_modules'), join(checkout, 'node_modules'));
  return { privateDir, checkout };
}

describe('npm start', () => {
  // One start serves every check of a running Polaris: the embedded PostgreSQL from a private
  // checkout, the default state directory, and the operator tool's commands against it.
  it('starts from a checkout in a private directory on the embedded PostgreSQL, prints the admin token, serves the operator tool, and stops cleanly', async () => {
    // As /root is, a `mktemp -d` directory: as root, PostgreSQL's own user cannot enter it.
    const { privateDir, checkout } = privateCheckout();
    const relocatedData = () => {
      const location = join(checkout, '.polaris', locationFileName);
      return existsSync(location) ? /^data: (\/var\/lib\/polaris\/postgres\/[0-9a-f]+)$/m.exec(readFileSync(location, 'utf8'))?.[1] : undefined;
    };
    try {
      const [httpPort, grpcPort] = await findFreePorts(2);
      // No DATABASE_URL, no admin token, and the default state directory `.polaris/` of the checkout.
      const polaris = startPolaris(
        { DATABASE_URL: '', POLARIS_STATE_DIR: '', POLARIS_ADMIN_TOKEN: '', POLARIS_HTTP_PORT: String(httpPort), POLARIS_GRPC_PORT: String(grpcPort), POLARIS_AGGREGATION_INTERVAL: '0' },
        checkout,
      );
      try {
        await polaris.ready;
        if (process.getuid?.() === 0) expect(polaris.output()).toContain(`the cluster's data is kept in ${relocatedData()}`);
        const token = /Admin token: (\S+)/.exec(polaris.output())?.[1];
        expect(token).toMatch(/^pol_admin_/);
        expect(readFileSync(join(checkout, '.polaris', 'admin-token'), 'utf8').trim()).toBe(token);

        expect((await fetch(`http://127.0.0.1:${httpPort}/health/readiness`)).status).toBe(200);
        expect(await listServicesByReflection(`127.0.0.1:${grpcPort}`)).toContain('polaris.identity.v1.Identity');
        expect(await checkHealth(`127.0.0.1:${grpcPort}`)).toBe('SERVING');

        // The operator tool in the checkout, with the admin token `npm start` left in `.polaris/admin-token`:
        // once as `npm run polaris` runs it (tsx), then from its bundle.
        const { POLARIS_STATE_DIR: _stateDir, POLARIS_ADMIN_TOKEN: _adminToken, ...inherited } = process.env;
        const polarisUrl = `http://127.0.0.1:${httpPort}`;
        const created = spawnSync(tsx, ['scripts/polaris.ts', 'org', 'create', '--name', 'Acme'], { cwd: checkout, env: { ...inherited, POLARIS_URL: polarisUrl }, encoding: 'utf8' });
        expect(created.status, created.stderr).toBe(0);
        const cli = (...args: string[]) => runOperatorTool(args, { POLARIS_URL: polarisUrl, POLARIS_STATE_DIR: undefined, POLARIS_ADMIN_TOKEN: undefined }, checkout);
        const { organization, apiKey } = JSON.parse(created.stdout);
        expect(organization.name).toBe('Acme');
        expect(apiKey).toMatch(/^pol_/);
        const bad = await cli('org', 'get', '--id', 'nope');
        expect(bad.status).toBe(1);
        expect(JSON.parse(bad.stderr).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });

        // Meters, and usage by window, time zone, group and filter.
        const meter = await cli('meter', 'create', '--metric', 'seats', '--name', 'Seats', '--aggregation', 'unique_count', '--value-property', 'user_id', '--group-by', 'region,tier');
        expect(meter.status, meter.stderr).toBe(0);
        const seats = { metric: 'seats', name: 'Seats', aggregation: 'UNIQUE_COUNT', valueProperty: 'user_id', groupBy: ['region', 'tier'] };
        expect(JSON.parse(meter.stdout)).toEqual(seats);
        expect(JSON.parse((await cli('meter', 'list')).stdout)).toContainEqual(seats);
        const window = ['--org', organization.id, '--metric', 'seats', '--window', 'hour', '--time-zone', 'Asia/Kathmandu', '--group-by', 'region'];
        const usage = await cli('usage', 'get', ...window, '--where', 'region=eu,us', '--where', 'tier=pro');
        expect(usage.status, usage.stderr).toBe(0);
        expect(JSON.parse(usage.stdout)).toEqual([]);
        const badZone = await cli('usage', 'get', ...window.slice(0, -4), '--time-zone', 'Mars/Olympus_Mons');
        expect(badZone.status).toBe(1);
        expect(JSON.parse(badZone.stderr).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'timeZone' }] });
        const badWhere = await cli('usage', 'get', ...window, '--where', 'region');
        expect(badWhere.status).toBe(2);
        expect(badWhere.stderr).toContain('--where takes <key>=<value>');

        // Prices in every model, per property value, from a later period; billing terms; a month's close and a void.
        const org = ['--org', organization.id];
        const monthStart = (offset: number) => new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + offset, 1)).toISOString();
        const terms = await cli('terms', 'set', ...org, '--fee', '10', '--fee-name', 'Platform', '--minimum', '25');
        expect(terms.status, terms.stderr).toBe(0);
        expect(JSON.parse((await cli('terms', 'get', ...org)).stdout)).toEqual({ timeZone: 'UTC', recurringFee: '10', recurringFeeName: 'Platform', minimum: '25', currency: null });
        const perUnit = await cli('plan', 'set', ...org, '--name', 'API', '--metric', 'api_calls', '--unit-price', '0.5', '--free-quota', '10', '--effective-from', monthStart(-1).slice(0, 10));
        expect(perUnit.status, perUnit.stderr).toBe(0);
        expect(JSON.parse(perUnit.stdout)).toMatchObject({ model: 'PER_UNIT', unitPrice: '0.5', freeQuota: '10', effectiveFrom: monthStart(-1) });
        const tiered = await cli('plan', 'set', ...org, '--name', 'API', '--metric', 'api_calls', '--model', 'graduated', '--tier', '1000:0', '--tier', '10000:0.002:1', '--tier', '*:0.001', '--effective-from', monthStart(1));
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
        const perSeat = await cli('plan', 'set', ...org, '--name', 'EU seats', '--metric', 'seats', '--model', 'package', '--package-size', '5', '--package-price', '20', '--where', 'region=eu');
        expect(perSeat.status, perSeat.stderr).toBe(0);
        expect(JSON.parse(perSeat.stdout)).toMatchObject({ model: 'PACKAGE', packageSize: '5', packagePrice: '20', where: [{ key: 'region', value: 'eu' }] });
        expect(JSON.parse((await cli('plan', 'list', ...org)).stdout).map((plan: { metric: string; model: string }) => `${plan.metric} ${plan.model}`).sort()).toEqual(['api_calls PER_UNIT', 'seats PACKAGE']);
        expect(JSON.parse((await cli('plan', 'history', ...org)).stdout)).toHaveLength(3);
        const badTier = await cli('plan', 'set', ...org, '--name', 'x', '--metric', 'x', '--model', 'volume', '--tier', '100');
        expect(badTier.status).toBe(2);
        expect(badTier.stderr).toContain('--tier takes <upTo>:<unitPrice>');
        const badPackage = await cli('plan', 'set', ...org, '--name', 'x', '--metric', 'x', '--model', 'package', '--package-size', '0', '--package-price', '1');
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
        expect((await cli('aggregate', ...org)).status).toBe(0);
        let invoice: { id: string; amount: string };
        for (let attempt = 0; ; attempt += 1) {
          const generated = await cli('invoice', 'generate', ...org, '--from', monthStart(-1).slice(0, 10), '--to', monthStart(0).slice(0, 10));
          expect(generated.status, generated.stderr).toBe(0);
          invoice = JSON.parse(generated.stdout);
          // The aggregation runs after its event is accepted: ask again until it has counted (10 s at most).
          if (invoice.amount === '5.00' || attempt === 100) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(invoice).toMatchObject({ amount: '5.00', lineItems: [expect.objectContaining({ kind: 'usage', metric: 'api_calls', billableQuantity: '10' })] });
        expect((await cli('invoice', 'close')).status).toBe(0);
        const finalized = JSON.parse((await cli('invoice', 'finalize', '--id', invoice.id)).stdout);
        expect(finalized).toMatchObject({ status: 'finalized', number: expect.any(String) });
        const voided = await cli('invoice', 'void', '--id', invoice.id, '--reason', 'Calls counted twice');
        expect(voided.status, voided.stderr).toBe(0);
        expect(JSON.parse(voided.stdout)).toMatchObject({ status: 'void', voidReason: 'Calls counted twice', number: finalized.number });
        const invoices = JSON.parse((await cli('invoice', 'list', ...org)).stdout);
        const open = invoices.find((one: { periodStart: string }) => one.periodStart === monthStart(0));
        // The voided invoice, credited, naming its period.
        expect(open.lineItems).toContainEqual(expect.objectContaining({ kind: 'credit', amount: '-5.00', forPeriodStart: monthStart(-1) }));
      } finally {
        polaris.child.kill('SIGINT');
      }
      expect(await polaris.exited).toBe(0);
    } finally {
      const data = relocatedData();
      if (data) rmSync(data, { recursive: true, force: true });
      rmSync(privateDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('refuses to start on invalid configuration, listing every problem', async () => {
    const polaris = startPolaris({ POLARIS_HTTP_PORT: 'http', POLARIS_GRPC_PORT: '0', POLARIS_AGGREGATION_INTERVAL: '-5' });
    expect(await polaris.exited).toBe(1);
    const output = polaris.output();
    expect(output).toContain("http: POLARIS_HTTP_PORT must be a whole number from 1 to 65535, got 'http'");
    expect(output).toContain("grpc: POLARIS_GRPC_PORT must be a whole number from 1 to 65535, got '0'");
    expect(output).toContain("aggregation: POLARIS_AGGREGATION_INTERVAL must be a whole number from 0 to 86400, got '-5'");
  }, 30_000);
});
