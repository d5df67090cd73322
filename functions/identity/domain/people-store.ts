/**
 * The SQL of people: users, memberships, invitations, sessions and their
 * refresh tokens, password resets, identity-provider links and sign-in
 * failures. Secrets arrive here hashed; a one-time secret is spent by an
 * `update … where <usable> returning`, so two uses at once cannot both win.
 */
import type { TransactionSql } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import type { Role } from '../../../shared/session-token.js';

type Queryable = Sql | TransactionSql;

/** A user as others see them. */
export interface User {
  id: string;
  /** Lower case. */
  email: string;
  /** Empty when not given. */
  name: string;
}

export interface UserRecord extends User {
  /** Argon2id PHC string; null for a user who signs in only through an identity provider. */
  passwordHash: string | null;
  createdAt: Date;
}

export interface MembershipRecord {
  orgId: string;
  role: Role;
  createdAt: Date;
}

export interface MemberRecord {
  user: User;
  role: Role;
  joinedAt: Date;
}

export interface InvitationRecord {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
}

/** A session as ValidateSession reads it: the role is the user's role now, null when no longer a member. */
export interface SessionState {
  id: string;
  userId: string;
  orgId: string;
  revokedAt: Date | null;
  role: Role | null;
  /** The organization's own limits, null for the default, which the gateway caches with the session. */
  ingestRequestsPerSecond: number | null;
  ingestEventsPerSecond: number | null;
  graphqlCostPerSecond: number | null;
}

/** The session a refresh token belongs to, and what became of the token. */
export interface RefreshTokenState {
  sessionId: string;
  userId: string;
  orgId: string;
  usedAt: Date | null;
  sessionRevokedAt: Date | null;
}

/** The failure policy the sign-in limits count by. */
export interface SignInFailurePolicy {
  /** Failures within the window after which a subject is locked. */
  maxFailures: number;
  windowSeconds: number;
  /** The longest lock; each failure past `maxFailures` doubles it from 1 s. */
  maxLockSeconds: number;
}

const userColumns = (sql: Queryable) => sql`id, email, name, password_hash, created_at`;
const invitationColumns = (sql: Queryable) => sql`id, org_id, email, role, created_at, expires_at, accepted_at`;
const usableInvitation = (sql: Queryable) => sql`accepted_at is null and revoked_at is null and expires_at > now()`;

export class PeopleStore {
  constructor(private readonly sql: Sql) {}

  transaction<T>(work: (tx: TransactionSql) => Promise<T>): Promise<T> {
    return this.sql.begin(work) as Promise<T>;
  }

  // Users

  async findUser(id: string, sql: Queryable = this.sql): Promise<UserRecord | undefined> {
    const [row] = await sql<UserRecord[]>`select ${userColumns(sql)} from identity.users where id = ${id}`;
    return row;
  }

  async findUserByEmail(email: string, sql: Queryable = this.sql): Promise<UserRecord | undefined> {
    const [row] = await sql<UserRecord[]>`select ${userColumns(sql)} from identity.users where email = ${email}`;
    return row;
  }

  /** Undefined when a user with this email exists already (made meanwhile by another call). */
  async insertUser(tx: Queryable, user: { email: string; name: string; passwordHash: string | null }): Promise<UserRecord | undefined> {
    const [row] = await tx<UserRecord[]>`
      insert into identity.users (email, name, password_hash) values (${user.email}, ${user.name}, ${user.passwordHash})
      on conflict (email) do nothing
      returning ${userColumns(tx)}`;
    return row;
  }

  async setPasswordHash(tx: Queryable, userId: string, passwordHash: string): Promise<void> {
    await tx`update identity.users set password_hash = ${passwordHash} where id = ${userId}`;
  }

  // Memberships

  /** The user's memberships, oldest first. */
  memberships(userId: string, sql: Queryable = this.sql): Promise<MembershipRecord[]> {
    return sql<MembershipRecord[]>`
      select org_id, role, created_at from identity.memberships where user_id = ${userId} order by created_at, org_id`;
  }

  async role(userId: string, orgId: string, sql: Queryable = this.sql): Promise<Role | undefined> {
    const [row] = await sql<{ role: Role }[]>`select role from identity.memberships where user_id = ${userId} and org_id = ${orgId}`;
    return row?.role;
  }

  async isMemberByEmail(email: string, orgId: string): Promise<boolean> {
    const [row] = await this.sql<{ member: boolean }[]>`
      select exists (
        select 1 from identity.memberships m join identity.users u on u.id = m.user_id
        where u.email = ${email} and m.org_id = ${orgId}
      ) as member`;
    return row!.member;
  }

  /** Adds a membership; an existing one keeps its role. Answers the role the user has now. */
  async addMembership(tx: Queryable, userId: string, orgId: string, role: Role): Promise<Role> {
    await tx`
      insert into identity.memberships (user_id, org_id, role) values (${userId}, ${orgId}, ${role})
      on conflict (user_id, org_id) do nothing`;
    return (await this.role(userId, orgId, tx))!;
  }

  members(orgId: string): Promise<MemberRecord[]> {
    return this.sql<{ id: string; email: string; name: string; role: Role; joinedAt: Date }[]>`
      select u.id, u.email, u.name, m.role, m.created_at as joined_at
      from identity.memberships m join identity.users u on u.id = m.user_id
      where m.org_id = ${orgId} order by m.created_at, u.id`.then((rows) =>
      rows.map(({ id, email, name, role, joinedAt }) => ({ user: { id, email, name }, role, joinedAt })),
    );
  }

  async member(tx: Queryable, orgId: string, userId: string): Promise<MemberRecord | undefined> {
    const [row] = await tx<{ id: string; email: string; name: string; role: Role; joinedAt: Date }[]>`
      select u.id, u.email, u.name, m.role, m.created_at as joined_at
      from identity.memberships m join identity.users u on u.id = m.user_id
      where m.org_id = ${orgId} and m.user_id = ${userId}`;
    return row && { user: { id: row.id, email: row.email, name: row.name }, role: row.role, joinedAt: row.joinedAt };
  }

  /**
   * Locks the organization's OWNER memberships until the transaction ends
   * and answers how many there are: two calls that each take an OWNER away
   * run one after the other, and the second sees the first's result.
   */
  async lockOwners(tx: TransactionSql, orgId: string): Promise<number> {
    const rows = await tx`select user_id from identity.memberships where org_id = ${orgId} and role = 'OWNER' for update`;
    return rows.length;
  }

  async setRole(tx: Queryable, orgId: string, userId: string, role: Role): Promise<void> {
    await tx`update identity.memberships set role = ${role} where org_id = ${orgId} and user_id = ${userId}`;
  }

  async deleteMembership(tx: Queryable, orgId: string, userId: string): Promise<boolean> {
    const rows = await tx`delete from identity.memberships where org_id = ${orgId} and user_id = ${userId} returning user_id`;
    return rows.length > 0;
  }

  // Invitations

  /** Inserts an invitation, revoking the organization's earlier pending ones for the same email. */
  async insertInvitation(
    tx: Queryable,
    invitation: { orgId: string; email: string; role: Role; tokenHash: Buffer; invitedBy: string; validSeconds: number },
  ): Promise<InvitationRecord> {
    await tx`
      update identity.invitations set revoked_at = now()
      where org_id = ${invitation.orgId} and email = ${invitation.email} and accepted_at is null and revoked_at is null`;
    const [row] = await tx<InvitationRecord[]>`
      insert into identity.invitations (org_id, email, role, token_hash, invited_by, expires_at)
      values (${invitation.orgId}, ${invitation.email}, ${invitation.role}, ${invitation.tokenHash}, ${invitation.invitedBy},
        now() + make_interval(secs => ${invitation.validSeconds}))
      returning ${invitationColumns(tx)}`;
    return row!;
  }

  /** The invitation a token opens, while it can be accepted. */
  async usableInvitation(tokenHash: Buffer): Promise<InvitationRecord | undefined> {
    const [row] = await this.sql<InvitationRecord[]>`
      select ${invitationColumns(this.sql)} from identity.invitations where token_hash = ${tokenHash} and ${usableInvitation(this.sql)}`;
    return row;
  }

  /** Marks the invitation accepted, when it still can be; undefined when it cannot (used meanwhile, say). */
  async claimInvitation(tx: Queryable, tokenHash: Buffer): Promise<InvitationRecord | undefined> {
    const [row] = await tx<InvitationRecord[]>`
      update identity.invitations set accepted_at = now()
      where token_hash = ${tokenHash} and ${usableInvitation(tx)}
      returning ${invitationColumns(tx)}`;
    return row;
  }

  /** Marks every invitation to `email` that can be accepted as accepted, and answers them. */
  claimInvitationsTo(tx: Queryable, email: string): Promise<InvitationRecord[]> {
    return tx<InvitationRecord[]>`
      update identity.invitations set accepted_at = now()
      where email = ${email} and ${usableInvitation(tx)}
      returning ${invitationColumns(tx)}`;
  }

  async hasInvitationsTo(email: string): Promise<boolean> {
    const [row] = await this.sql<{ invited: boolean }[]>`
      select exists (select 1 from identity.invitations where email = ${email} and ${usableInvitation(this.sql)}) as invited`;
    return row!.invited;
  }

  /** The organization's invitations but revoked ones, newest first. */
  invitations(orgId: string): Promise<InvitationRecord[]> {
    return this.sql<InvitationRecord[]>`
      select ${invitationColumns(this.sql)} from identity.invitations
      where org_id = ${orgId} and revoked_at is null order by created_at desc, id`;
  }

  /** Revokes an invitation not yet accepted; undefined when no such invitation, `revoked` false when nothing changed. */
  async revokeInvitation(id: string): Promise<{ orgId: string; revoked: boolean } | undefined> {
    const [row] = await this.sql<{ orgId: string; revoked: boolean }[]>`
      with target as (select id, org_id, accepted_at, revoked_at from identity.invitations where id = ${id} for update),
           revoked as (
             update identity.invitations i set revoked_at = now()
             from target where i.id = target.id and target.accepted_at is null and target.revoked_at is null
             returning i.id
           )
      select org_id, exists (select 1 from revoked) as revoked from target`;
    return row;
  }

  // Sessions

  async insertSession(tx: Queryable, userId: string, orgId: string, clientAddress: string | undefined): Promise<string> {
    const [row] = await tx<{ id: string }[]>`
      insert into identity.sessions (user_id, org_id, client_address) values (${userId}, ${orgId}, ${clientAddress ?? null})
      returning id`;
    return row!.id;
  }

  async insertRefreshToken(tx: Queryable, sessionId: string, hash: Buffer, expiresAt: Date): Promise<void> {
    await tx`insert into identity.refresh_tokens (hash, session_id, expires_at) values (${hash}, ${sessionId}, ${expiresAt})`;
  }

  /**
   * Spends a refresh token: marks it used when it is unused, unexpired and its
   * session stands. Of two calls at once, the second waits for the first and
   * finds the token used.
   */
  async claimRefreshToken(tx: Queryable, hash: Buffer): Promise<{ sessionId: string; userId: string; orgId: string } | undefined> {
    const [row] = await tx<{ sessionId: string; userId: string; orgId: string }[]>`
      update identity.refresh_tokens t set used_at = now()
      from identity.sessions s
      where t.hash = ${hash} and t.used_at is null and t.expires_at > now()
        and s.id = t.session_id and s.revoked_at is null
      returning t.session_id, s.user_id, s.org_id`;
    return row;
  }

  async refreshTokenState(hash: Buffer): Promise<RefreshTokenState | undefined> {
    const [row] = await this.sql<RefreshTokenState[]>`
      select t.session_id, s.user_id, s.org_id, t.used_at, s.revoked_at as session_revoked_at
      from identity.refresh_tokens t join identity.sessions s on s.id = t.session_id
      where t.hash = ${hash}`;
    return row;
  }

  async moveSession(tx: Queryable, sessionId: string, orgId: string): Promise<void> {
    await tx`update identity.sessions set org_id = ${orgId} where id = ${sessionId}`;
  }

  /** @returns whether the session was standing. */
  async revokeSession(sessionId: string, sql: Queryable = this.sql): Promise<boolean> {
    const rows = await sql`update identity.sessions set revoked_at = now() where id = ${sessionId} and revoked_at is null returning id`;
    return rows.length > 0;
  }

  /** Revokes the user's standing sessions, but `except`, or only those acting for `orgId`; answers how many. */
  async revokeUserSessions(userId: string, scope: { except?: string; orgId?: string } = {}, sql: Queryable = this.sql): Promise<number> {
    const rows = await sql`
      update identity.sessions set revoked_at = now()
      where user_id = ${userId} and revoked_at is null
        and (${scope.except ?? null}::uuid is null or id <> ${scope.except ?? null}::uuid)
        and (${scope.orgId ?? null}::uuid is null or org_id = ${scope.orgId ?? null}::uuid)
      returning id`;
    return rows.length;
  }

  async sessionState(id: string): Promise<SessionState | undefined> {
    const [row] = await this.sql<SessionState[]>`
      select s.id, s.user_id, s.org_id, s.revoked_at, m.role,
        o.ingest_requests_per_second, o.ingest_events_per_second, o.graphql_cost_per_second
      from identity.sessions s
        left join identity.memberships m on m.user_id = s.user_id and m.org_id = s.org_id
        left join identity.organizations o on o.id = s.org_id
      where s.id = ${id}`;
    return row;
  }

  // Password resets

  /** Stores a reset token; earlier unused ones of the user stop working. Answers when it expires. */
  async insertPasswordReset(tx: Queryable, userId: string, hash: Buffer, validSeconds: number): Promise<Date> {
    await tx`update identity.password_resets set used_at = now() where user_id = ${userId} and used_at is null`;
    const [row] = await tx<{ expiresAt: Date }[]>`
      insert into identity.password_resets (hash, user_id, expires_at) values (${hash}, ${userId}, now() + make_interval(secs => ${validSeconds}))
      returning expires_at`;
    return row!.expiresAt;
  }

  async usablePasswordReset(hash: Buffer): Promise<string | undefined> {
    const [row] = await this.sql<{ userId: string }[]>`
      select user_id from identity.password_resets where hash = ${hash} and used_at is null and expires_at > now()`;
    return row?.userId;
  }

  /** Spends a reset token; answers its user, undefined when it was not usable. */
  async claimPasswordReset(tx: Queryable, hash: Buffer): Promise<string | undefined> {
    const [row] = await tx<{ userId: string }[]>`
      update identity.password_resets set used_at = now()
      where hash = ${hash} and used_at is null and expires_at > now()
      returning user_id`;
    return row?.userId;
  }

  // Identity-provider links

  async userByOidcIdentity(issuer: string, subject: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql<UserRecord[]>`
      select u.id, u.email, u.name, u.password_hash, u.created_at
      from identity.oidc_identities o join identity.users u on u.id = o.user_id
      where o.issuer = ${issuer} and o.subject = ${subject}`;
    return row;
  }

  async linkOidcIdentity(tx: Queryable, issuer: string, subject: string, userId: string): Promise<void> {
    await tx`
      insert into identity.oidc_identities (issuer, subject, user_id) values (${issuer}, ${subject}, ${userId})
      on conflict (issuer, subject) do nothing`;
  }

  // Sign-in failures

  /**
   * Counts an attempt against each subject, unless one is locked: then
   * answers the seconds until the last lock ends and counts nothing. Counting
   * before the password is checked means a burst of attempts at once cannot
   * all pass the check before any failure is recorded; a success is forgiven
   * afterwards.
   */
  async countSignInAttempt(subjects: readonly string[], policy: SignInFailurePolicy): Promise<number | undefined> {
    // In one order everywhere, so two attempts lock their rows without deadlocking.
    const ordered = [...subjects].sort();
    return this.transaction(async (tx) => {
      // The no-op update locks an existing row (for this transaction), as the insert does a new one.
      const rows = await tx<{ lockedSeconds: number | null }[]>`
        insert into identity.sign_in_failures as f (subject, failures, window_started_at)
        select subject, 0, now() from unnest(${ordered}::text[]) with ordinality as s (subject, position) order by position
        on conflict (subject) do update set failures = f.failures
        returning ceil(extract(epoch from f.locked_until - now()))::int as locked_seconds`;
      const locked = Math.max(0, ...rows.map((row) => row.lockedSeconds ?? 0));
      if (locked > 0) return locked;
      const window = `${policy.windowSeconds} seconds`;
      const restart = tx`window_started_at <= now() - ${window}::interval`;
      const failures = tx`(case when ${restart} then 1 else failures + 1 end)`;
      await tx`
        update identity.sign_in_failures set
          failures = ${failures},
          window_started_at = case when ${restart} then now() else window_started_at end,
          locked_until = case when ${failures} >= ${policy.maxFailures}
            then now() + make_interval(secs => least(power(2, ${failures} - ${policy.maxFailures}), ${policy.maxLockSeconds}))
          end
        where subject = any(${ordered}::text[])`;
      return undefined;
    });
  }

  /** Takes back a counted attempt that succeeded: the account's failures all go, the address's one. */
  async forgiveSignInAttempt(account: string, address: string | undefined, policy: SignInFailurePolicy): Promise<void> {
    await this.sql`delete from identity.sign_in_failures where subject = ${account}`;
    if (address === undefined) return;
    await this.sql`
      update identity.sign_in_failures set
        failures = greatest(failures - 1, 0),
        locked_until = case when failures - 1 >= ${policy.maxFailures} then locked_until end
      where subject = ${address}`;
  }

  async clearSignInFailures(subject: string, sql: Queryable = this.sql): Promise<void> {
    await sql`delete from identity.sign_in_failures where subject = ${subject}`;
  }

  /** Deletes subjects whose window and lock are over: their next attempt would start afresh anyway. */
  async sweepSignInFailures(policy: SignInFailurePolicy): Promise<void> {
    await this.sql`
      delete from identity.sign_in_failures
      where window_started_at <= now() - ${`${policy.windowSeconds} seconds`}::interval
        and (locked_until is null or locked_until <= now())`;
  }

  async ping(): Promise<void> {
    await this.sql`select 1`;
  }
}
