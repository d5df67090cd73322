/**
 * Sessions: signing in (with a password or an identity provider's word),
 * rotating refresh tokens, signing out, and saying whether a session stands.
 *
 * A session is a family of refresh tokens acting for one organization at a
 * time. Each refresh spends its token and issues the next; a spent token
 * presented again (a replay, or two uses at once) revokes the whole session.
 * Access tokens are short-lived JWTs (shared/session-token.ts); the gateway
 * asks ValidateSession whether their session still stands and the role now.
 */
import type { OrganizationLimitOverrides } from '../../../shared/rate-limits/index.js';
import { signSessionToken, type Role } from '../../../shared/session-token.js';
import { OrganizationNotFoundError } from './errors.js';
import {
  EmailNotVerifiedError,
  InvalidRefreshTokenError,
  NoMembershipError,
  NotAMemberError,
  SignInFailedError,
  SignInOffError,
} from './people-errors.js';
import type { OidcSignInInput, RefreshSessionInput, SignInInput, SignOutInput } from './people-inputs.js';
import type { MembershipRecord, PeopleStore, User, UserRecord } from './people-store.js';
import { passwordMatches } from './passwords.js';
import { signInSubjects, type SignInLimits } from './sign-in-limits.js';
import type { Organization } from './store.js';
import { generateToken, hashToken, TokenKind } from './tokens.js';

export interface SessionSettings {
  /** HS256 secret of access tokens; sign-in is off without one. */
  secret?: string;
  accessTokenSeconds: number;
  /** Days a refresh token lasts unused. */
  refreshTokenDays: number;
}

/** Organizations by id: Identity's own store, which knows every column of them. */
export interface OrganizationDirectory {
  findOrganization(id: string): Promise<Organization | undefined>;
}

/** A signed-in user acting for one organization. The tokens exist nowhere else. */
export interface SignedInSession {
  sessionId: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  user: User;
  organization: Organization;
  role: Role;
}

export interface SessionValidation {
  active: boolean;
  userId?: string;
  organizationId?: string;
  /** The user's role in the session's organization now. */
  role?: Role;
  /** The organization's own limits, when active. */
  limits?: OrganizationLimitOverrides;
}

export interface SignOutResult {
  sessionsRevoked: number;
  /** The session the token belonged to; undefined for a token never issued. */
  session?: { id: string; userId: string; orgId: string };
}

const dayMs = 86_400_000;

export class SessionService {
  constructor(
    private readonly store: PeopleStore,
    private readonly organizations: OrganizationDirectory,
    private readonly limits: SignInLimits,
    private readonly settings: SessionSettings,
  ) {}

  /**
   * Signs a user in with email and password. An unknown email and a wrong
   * password take the same steps (the lock check, one lookup, one Argon2
   * verification) and get the same answer.
   */
  async signIn(input: SignInInput): Promise<SignedInSession> {
    this.requireSignIn();
    const subjects = signInSubjects(input.email, input.clientAddress);
    await this.limits.attempt(subjects);
    const user = await this.store.findUserByEmail(input.email);
    const matches = await passwordMatches(input.password, user?.passwordHash ?? null);
    if (!user || !matches) throw new SignInFailedError();
    await this.limits.succeeded(subjects);
    const memberships = await this.store.memberships(user.id);
    if (memberships.length === 0) throw new SignInFailedError();
    const membership = pickMembership(memberships, input.organizationId);
    if (!membership) throw new NotAMemberError(input.organizationId!);
    return this.startSession(user, membership, input.clientAddress);
  }

  /**
   * Signs in the user an identity provider vouched for: by an earlier link to
   * the provider's (issuer, subject), else by the verified email (then
   * linked). Invitations to that email are accepted on the way, which is how
   * a person new to Polaris becomes a user without a password. No user is
   * made without an invitation.
   */
  async signInWithOidc(input: OidcSignInInput): Promise<SignedInSession> {
    this.requireSignIn();
    if (!input.emailVerified) throw new EmailNotVerifiedError();
    const known = (await this.store.userByOidcIdentity(input.issuer, input.subject)) ?? (await this.store.findUserByEmail(input.email));
    if (!known && !(await this.store.hasInvitationsTo(input.email))) throw new NoMembershipError();
    const user = await this.store.transaction(async (tx) => {
      const user = known ?? (await this.store.insertUser(tx, { email: input.email, name: '', passwordHash: null }));
      if (!user) throw new NoMembershipError(); // made meanwhile by another sign-in: the next attempt finds it
      await this.store.linkOidcIdentity(tx, input.issuer, input.subject, user.id);
      if (user.email === input.email) {
        for (const invitation of await this.store.claimInvitationsTo(tx, user.email)) {
          await this.store.addMembership(tx, user.id, invitation.orgId, invitation.role);
        }
      }
      return user;
    });
    const memberships = await this.store.memberships(user.id);
    if (memberships.length === 0) throw new NoMembershipError();
    const membership = pickMembership(memberships, input.organizationId);
    if (!membership) throw new NotAMemberError(input.organizationId!);
    return this.startSession(user, membership, input.clientAddress);
  }

  /**
   * Spends a refresh token and answers the session's next one, with a new
   * access token, optionally for another of the user's organizations. A token
   * already spent revokes its session.
   */
  async refresh(input: RefreshSessionInput): Promise<SignedInSession> {
    this.requireSignIn();
    const hash = hashToken(input.refreshToken);
    const next = generateToken(TokenKind.Refresh);
    const outcome = await this.store.transaction(async (tx) => {
      const claimed = await this.store.claimRefreshToken(tx, hash);
      if (!claimed) return undefined;
      const orgId = input.organizationId ?? claimed.orgId;
      const role = await this.store.role(claimed.userId, orgId, tx);
      if (!role) {
        // Throwing rolls the spending back: the token still works for the organization it had.
        if (orgId !== claimed.orgId) throw new NotAMemberError(orgId);
        // Removed from the organization meanwhile: the session ends with the membership.
        await this.store.revokeSession(claimed.sessionId, tx);
        return { ...claimed, ended: true as const };
      }
      if (orgId !== claimed.orgId) await this.store.moveSession(tx, claimed.sessionId, orgId);
      await this.store.insertRefreshToken(tx, claimed.sessionId, next.hash, this.refreshTokenExpiry());
      return { ...claimed, orgId, role, ended: false as const };
    });
    if (!outcome) {
      await this.revokeIfReplayed(hash);
      throw new InvalidRefreshTokenError();
    }
    if (outcome.ended) throw new InvalidRefreshTokenError();
    const user = await this.store.findUser(outcome.userId);
    return this.issue(outcome.sessionId, user!, outcome.orgId, outcome.role, next.token);
  }

  /** Revokes the token's session, or every session of its user; a token never issued revokes nothing. */
  async signOut(input: SignOutInput): Promise<SignOutResult> {
    const state = await this.store.refreshTokenState(hashToken(input.refreshToken));
    if (!state) return { sessionsRevoked: 0 };
    const session = { id: state.sessionId, userId: state.userId, orgId: state.orgId };
    const sessionsRevoked = input.everywhere
      ? await this.store.revokeUserSessions(state.userId)
      : Number(await this.store.revokeSession(state.sessionId));
    return { sessionsRevoked, session };
  }

  /** Whether the session stands: not revoked, and its user still a member of its organization. */
  async validate(sessionId: string): Promise<SessionValidation> {
    const state = await this.store.sessionState(sessionId);
    if (!state || state.revokedAt || !state.role) return { active: false };
    const limits: OrganizationLimitOverrides = {};
    if (state.ingestRequestsPerSecond !== null) limits.ingestRequestsPerSecond = state.ingestRequestsPerSecond;
    if (state.ingestEventsPerSecond !== null) limits.ingestEventsPerSecond = state.ingestEventsPerSecond;
    if (state.graphqlCostPerSecond !== null) limits.graphqlCostPerSecond = state.graphqlCostPerSecond;
    return { active: true, userId: state.userId, organizationId: state.orgId, role: state.role, limits };
  }

  /** Starts a session for a user in one of their organizations. */
  async startSession(user: User, membership: { orgId: string; role: Role }, clientAddress: string | undefined): Promise<SignedInSession> {
    this.requireSignIn();
    const refresh = generateToken(TokenKind.Refresh);
    const sessionId = await this.store.transaction(async (tx) => {
      const id = await this.store.insertSession(tx, user.id, membership.orgId, clientAddress);
      await this.store.insertRefreshToken(tx, id, refresh.hash, this.refreshTokenExpiry());
      return id;
    });
    return this.issue(sessionId, user, membership.orgId, membership.role, refresh.token);
  }

  /** Answers sign-in's RPCs UNAVAILABLE while no session secret is set. */
  requireSignIn(): void {
    if (!this.settings.secret) throw new SignInOffError();
  }

  private async issue(sessionId: string, user: User | UserRecord, orgId: string, role: Role, refreshToken: string): Promise<SignedInSession> {
    const organization = await this.organizations.findOrganization(orgId);
    if (!organization) throw new OrganizationNotFoundError(orgId);
    const access = await signSessionToken({ organizationId: orgId, userId: user.id, sessionId, role }, this.settings.secret!, this.settings.accessTokenSeconds);
    return {
      sessionId,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      user: { id: user.id, email: user.email, name: user.name },
      organization,
      role,
    };
  }

  /** A spent token of a standing session is a replay, or one of two uses at once: the session ends. */
  private async revokeIfReplayed(hash: Buffer): Promise<void> {
    const state = await this.store.refreshTokenState(hash);
    if (state?.usedAt && !state.sessionRevokedAt) await this.store.revokeSession(state.sessionId);
  }

  private refreshTokenExpiry(): Date {
    return new Date(Date.now() + this.settings.refreshTokenDays * dayMs);
  }
}

/** The membership asked for, or without a choice the oldest; undefined when the user has none that fits. */
function pickMembership(memberships: readonly MembershipRecord[], organizationId: string | undefined): MembershipRecord | undefined {
  if (organizationId === undefined) return memberships[0];
  return memberships.find((membership) => membership.orgId === organizationId);
}
