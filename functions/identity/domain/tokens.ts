/**
 * One-time secrets handed to people: refresh tokens (`polr_`), invitations
 * (`poli_`) and password resets (`polp_`), each followed by 43 base64url
 * characters (256 random bits). Stored as their SHA-256 only and looked up by
 * it: the value is random, so a slow hash is not needed, and a database
 * index compares hashes, never the secret itself.
 */
import { createHash, randomBytes } from 'node:crypto';

export const TokenKind = { Refresh: 'polr', Invitation: 'poli', PasswordReset: 'polp' } as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

export interface OneTimeToken {
  /** The token as given to the person, once. */
  token: string;
  /** Its SHA-256, the only form stored. */
  hash: Buffer;
}

export function generateToken(kind: TokenKind): OneTimeToken {
  const token = `${kind}_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

/** False for anything that cannot be a token of `kind`: such values never reach the database. */
export function isWellFormedToken(kind: TokenKind, value: string): boolean {
  return value.length === kind.length + 44 && value.startsWith(`${kind}_`) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(kind.length + 1));
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
