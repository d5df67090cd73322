/**
 * Secrets `npm start` generates once and keeps in its state directory: the
 * admin token, the session secret, the key that seals webhook signing
 * secrets and the embedded PostgreSQL's password, each in a file of its own
 * with mode 0600.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { errorCode } from './processes.js';

/**
 * Returns the local admin token kept in `<stateDir>/admin-token`, creating it
 * on first use: `pol_admin_` followed by 32 random bytes in base64url, written
 * with mode 0600 (`stateDir` is created if needed). An empty file is treated
 * as missing.
 */
export async function loadOrCreateAdminToken(stateDir: string): Promise<string> {
  return loadOrCreateSecret(path.join(stateDir, 'admin-token'), () => `pol_admin_${randomBytes(32).toString('base64url')}`);
}

/** As the admin token: the HS256 secret of signed-in sessions, in `<stateDir>/session-secret`. */
export async function loadOrCreateSessionSecret(stateDir: string): Promise<string> {
  return loadOrCreateSecret(path.join(stateDir, 'session-secret'), () => randomBytes(32).toString('base64url'));
}

/**
 * As the admin token: POLARIS_WEBHOOK_SECRET_KEY, which seals webhook signing
 * secrets, in `<stateDir>/webhook-secret-key`. It must stay the same between
 * runs, or the endpoints made before cannot sign.
 */
export async function loadOrCreateWebhookSecretKey(stateDir: string): Promise<string> {
  return loadOrCreateSecret(path.join(stateDir, 'webhook-secret-key'), () => randomBytes(32).toString('base64url'));
}

/**
 * Reads a secret file, or creates it with mode 0600 when it is missing or
 * empty. The directory is created with the default mode on purpose: it may be
 * the parent of the PostgreSQL data dir, which the unprivileged `postgres`
 * user must be able to traverse when we run as root.
 */
export async function loadOrCreateSecret(file: string, generate: () => string): Promise<string> {
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

/**
 * Returns a secret file's trimmed contents, `''` for an empty file, `undefined`
 * when it is missing; a file others can read is made 0600 on the way.
 */
export async function readSecret(file: string): Promise<string | undefined> {
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
