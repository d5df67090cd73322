/** The operator's credential: a bearer token compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { ForbiddenError, UnauthenticatedError } from './errors.js';

/** True when `presented` equals `expected`, in time that does not depend on where they differ. */
export function tokensEqual(presented: string, expected: string): boolean {
  // Hashing first gives equal lengths, so even the length is not revealed.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `authorization: Bearer <token>` header or metadata value. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * Refuses a call that does not carry the operator token. Fails closed: with no
 * token configured, no one is the operator.
 */
export function assertOperator(metadata: Metadata, adminToken: string | undefined): void {
  const value = metadata.get('authorization')[0];
  const token = bearerToken(typeof value === 'string' ? value : undefined);
  if (!token) throw new UnauthenticatedError('operator RPCs need authorization: Bearer <admin token>');
  if (!adminToken || !tokensEqual(token, adminToken)) throw new ForbiddenError('not the operator token');
}

/** Whether a call carries the operator token; false when none is configured. */
export function carriesOperatorToken(metadata: Metadata, adminToken: string | undefined): boolean {
  const value = metadata.get('authorization')[0];
  const token = bearerToken(typeof value === 'string' ? value : undefined);
  return token !== undefined && adminToken !== undefined && tokensEqual(token, adminToken);
}
