/**
 * API keys: `pol_` and 40 random base64url characters (240 bits). Stored as a
 * short prefix, to find the row with an index, and the SHA-256 of the whole
 * key, compared in constant time. A slow hash is not needed: the key is random,
 * not a password a person chose.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What a key may do. A tenant key has some of INGEST, READ and MANAGE; a
 * service key has INGEST_ANY alone: it ingests for any organization, each
 * event naming its own.
 */
export const ApiKeyScope = { Ingest: 'INGEST', Read: 'READ', Manage: 'MANAGE', IngestAny: 'INGEST_ANY' } as const;
export type ApiKeyScope = (typeof ApiKeyScope)[keyof typeof ApiKeyScope];

/** A tenant key's scopes, in the order they are stored and listed; a key made without any has all three. */
export const tenantScopes = [ApiKeyScope.Ingest, ApiKeyScope.Read, ApiKeyScope.Manage] as const;

const keyPattern = /^pol_[A-Za-z0-9_-]{40}$/;
const prefixLength = 12;

export interface ApiKeySecret {
  /** The key as shown to the user, once. */
  key: string;
  prefix: string;
  hash: Buffer;
}

export function generateApiKey(): ApiKeySecret {
  const key = `pol_${randomBytes(30).toString('base64url')}`;
  return { key, prefix: apiKeyPrefix(key), hash: hashApiKey(key) };
}

/** False for anything that cannot be a key: such values never reach the database. */
export function isWellFormedApiKey(value: string): boolean {
  return keyPattern.test(value);
}

export function apiKeyPrefix(key: string): string {
  return key.slice(0, prefixLength);
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function apiKeyHashMatches(key: string, storedHash: Uint8Array): boolean {
  const hash = hashApiKey(key);
  return storedHash.length === hash.length && timingSafeEqual(hash, storedHash);
}
