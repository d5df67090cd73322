import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { connect } from 'nats';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/support/temp-dirs.js';
import { ensureNats, startNatsServer } from './nats-server.js';
import { findFreePort } from './ports.js';
import { isProcessAlive } from './processes.js';

const freshDir = useTempDirs('polaris-nats-');

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
      expect(isProcessAlive(server.pid)).toBe(true);
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
    expect(isProcessAlive(server.pid)).toBe(false);
    expect((await fs.stat(path.join(stateDir, 'nats'))).isDirectory()).toBe(true);
    expect(await fs.readFile(path.join(stateDir, 'nats-server.log'), 'utf8')).toContain('Server is ready');
  });

  it('says why, with the server output and its log, when nats-server cannot start', { timeout: 30_000 }, async () => {
    const stateDir = await freshDir();
    const first = await startNatsServer({ stateDir });
    try {
      // Same port: the second server fails to bind and exits (and is stopped should it start after all).
      const failure = await startNatsServer({ stateDir: await freshDir(), port: first.port }).then(
        (second) => second.stop(),
        (err: Error) => err,
      );
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/^nats: nats-server: exited with code 1 \(full log: .*nats-server\.log\)\n.*address already in use/s);
    } finally {
      await first.stop();
    }
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
