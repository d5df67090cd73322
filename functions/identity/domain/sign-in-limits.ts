/**
 * Sign-in limits, per account and per client address, in PostgreSQL so every
 * pod counts together: after 5 failures within 15 minutes a subject is
 * locked for 1 s, then 2, 4, … doubling with each failure, at most 15
 * minutes. A locked subject is refused before any password is checked. A
 * success clears the account's failures but only takes back its own attempt
 * from the address: one account of an attacker's own must not reset the
 * count of an address guessing others' passwords.
 */
import { createHash } from 'node:crypto';
import { SignInLockedError } from './people-errors.js';
import type { PeopleStore, SignInFailurePolicy } from './people-store.js';

export const signInFailurePolicy: SignInFailurePolicy = { maxFailures: 5, windowSeconds: 15 * 60, maxLockSeconds: 15 * 60 };

/** Milliseconds between sweeps of finished subjects, per process. */
const sweepIntervalMs = 60_000;

/** Who an attempt counts against: the account (known or not) and, when known, the client's address. */
export interface SignInSubjects {
  account: string;
  address?: string;
}

/** The account's subject: its email hashed, so emails nobody has are not kept in the clear. */
export function accountSubject(email: string): string {
  return `email:${createHash('sha256').update(email).digest('hex')}`;
}

export function signInSubjects(email: string, clientAddress: string | undefined): SignInSubjects {
  return { account: accountSubject(email), address: clientAddress === undefined ? undefined : `address:${clientAddress}` };
}

export class SignInLimits {
  private lastSweep = 0;

  constructor(
    private readonly store: PeopleStore,
    private readonly policy: SignInFailurePolicy = signInFailurePolicy,
  ) {}

  /** Counts an attempt; throws SignInLockedError, counting nothing, while a subject is locked. */
  async attempt(subjects: SignInSubjects): Promise<void> {
    this.sweepNowAndThen();
    const list = subjects.address === undefined ? [subjects.account] : [subjects.account, subjects.address];
    const lockedSeconds = await this.store.countSignInAttempt(list, this.policy);
    if (lockedSeconds !== undefined) throw new SignInLockedError(lockedSeconds);
  }

  /** The attempt succeeded: see the module's comment. */
  succeeded(subjects: SignInSubjects): Promise<void> {
    return this.store.forgiveSignInAttempt(subjects.account, subjects.address, this.policy);
  }

  private sweepNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastSweep < sweepIntervalMs) return;
    this.lastSweep = now;
    // Off the request's path: a failed sweep changes nothing the next one cannot do.
    this.store.sweepSignInFailures(this.policy).catch(() => {});
  }
}
