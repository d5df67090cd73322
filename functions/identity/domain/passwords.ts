/**
 * Passwords as Argon2id PHC strings (@node-rs/argon2, hashing on libuv's
 * thread pool). The parameters are pinned, not left to the library's
 * defaults, so the dummy hash below costs exactly what a real one does.
 */
import { hash, verify, type Options } from '@node-rs/argon2';

/** Argon2id, 19 MiB, 2 passes, 1 lane: OWASP's first recommended setting. */
const options: Options = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * The hash of a random password nobody kept, with the same parameters:
 * checking a password for an email with no user (or no password) verifies
 * against it, so an unknown email takes as long as a wrong password.
 */
const dummyHash = '$argon2id$v=19$m=19456,t=2,p=1$objA5/6q+hnfb7ycC8zz9A$qC2f2JiW9N3FCDvS2uBfV9Tz0zfZpb+PO2fY8oqJzCo';

export const minPasswordLength = 8;
export const maxPasswordLength = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

/** Whether `password` is the one `storedHash` was made from; false, after as long, when there is no hash. */
export async function passwordMatches(password: string, storedHash: string | null): Promise<boolean> {
  const matches = await verify(storedHash ?? dummyHash, password).catch(() => false);
  return storedHash !== null && matches;
}
