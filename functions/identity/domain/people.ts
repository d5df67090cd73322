/**
 * People: users and their memberships, invitations, and passwords (change,
 * and reset by a one-time token the operator makes). Identity does not decide
 * who may call what (the gateway does); it keeps the data's rules: an
 * organization keeps an OWNER, one-time tokens work once, and a password
 * change or reset ends the sessions it should.
 */
import { ValidationError } from '../../../shared/errors.js';
import type { Role } from '../../../shared/session-token.js';
import { OrganizationNotFoundError } from './errors.js';
import {
  InvalidInvitationError,
  InvalidPasswordResetError,
  InvitationNotFoundError,
  LastOwnerError,
  MemberNotFoundError,
  PasswordlessUserError,
  UserNotFoundError,
  WrongAccountPasswordError,
} from './people-errors.js';
import type {
  AcceptInvitationInput,
  ChangePasswordInput,
  InviteUserInput,
  MemberInput,
  ResetPasswordInput,
  SetMemberRoleInput,
} from './people-inputs.js';
import type { InvitationRecord, MemberRecord, PeopleStore, User } from './people-store.js';
import { hashPassword, passwordMatches } from './passwords.js';
import type { OrganizationDirectory, SessionService, SignedInSession } from './sessions.js';
import { accountSubject, signInSubjects, type SignInLimits } from './sign-in-limits.js';
import type { Organization } from './store.js';
import { generateToken, hashToken, TokenKind } from './tokens.js';

/** Days an invitation can be accepted. */
export const invitationDays = 7;
/** Minutes a password reset token works. */
export const passwordResetMinutes = 60;

export interface UserWithMemberships {
  user: User;
  memberships: Array<{ organization: Organization; role: Role }>;
}

/** A new invitation; `token` is the only time the secret exists outside the invitee's link. */
export interface NewInvitation {
  invitation: InvitationRecord;
  token: string;
}

export interface NewPasswordReset {
  userId: string;
  token: string;
  expiresAt: Date;
}

export class PeopleService {
  constructor(
    private readonly store: PeopleStore,
    private readonly organizations: OrganizationDirectory,
    private readonly sessions: SessionService,
    private readonly limits: SignInLimits,
  ) {}

  async getUser(userId: string): Promise<UserWithMemberships> {
    const user = await this.store.findUser(userId);
    if (!user) throw new UserNotFoundError(`user ${userId}`);
    const memberships = await this.store.memberships(userId);
    return {
      user: { id: user.id, email: user.email, name: user.name },
      memberships: await Promise.all(memberships.map(async ({ orgId, role }) => ({ organization: await this.organization(orgId), role }))),
    };
  }

  /**
   * Sets a new password once the current one is given, and ends every other
   * session of the user. Wrong current passwords count against the account's
   * sign-in limit: a stolen session must not become a password oracle.
   */
  async changePassword(input: ChangePasswordInput): Promise<void> {
    const user = await this.store.findUser(input.userId);
    if (!user) throw new UserNotFoundError(`user ${input.userId}`);
    const subjects = { account: accountSubject(user.email) };
    await this.limits.attempt(subjects);
    if (!(await passwordMatches(input.currentPassword, user.passwordHash))) {
      throw new ValidationError([{ field: 'current_password', message: 'is not the current password' }]);
    }
    await this.limits.succeeded(subjects);
    const passwordHash = await hashPassword(input.newPassword);
    await this.store.transaction(async (tx) => {
      await this.store.setPasswordHash(tx, user.id, passwordHash);
      await this.store.revokeUserSessions(user.id, { except: input.sessionId }, tx);
    });
  }

  /** Operator: a one-time token for setting the password of the user with this email. */
  async createPasswordReset(email: string): Promise<NewPasswordReset> {
    const user = await this.store.findUserByEmail(email);
    if (!user) throw new UserNotFoundError('a user with this email');
    const { token, hash } = generateToken(TokenKind.PasswordReset);
    const expiresAt = await this.store.transaction((tx) => this.store.insertPasswordReset(tx, user.id, hash, passwordResetMinutes * 60));
    return { userId: user.id, token, expiresAt };
  }

  /** Sets the password a reset token is for, once; every session of the user ends, and the account's lock. */
  async resetPassword(input: ResetPasswordInput): Promise<{ userId: string }> {
    const hash = hashToken(input.token);
    // Checked before hashing: a guessed token costs no Argon2 work.
    if (!(await this.store.usablePasswordReset(hash))) throw new InvalidPasswordResetError();
    const passwordHash = await hashPassword(input.newPassword);
    const userId = await this.store.transaction(async (tx) => {
      const userId = await this.store.claimPasswordReset(tx, hash);
      if (!userId) return undefined;
      await this.store.setPasswordHash(tx, userId, passwordHash);
      await this.store.revokeUserSessions(userId, {}, tx);
      const user = await this.store.findUser(userId, tx);
      await this.store.clearSignInFailures(accountSubject(user!.email), tx);
      return userId;
    });
    if (!userId) throw new InvalidPasswordResetError();
    return { userId };
  }

  /** Invites an email to an organization with a role; an earlier pending invitation of the same email there stops working. */
  async invite(input: InviteUserInput, invitedBy: string): Promise<NewInvitation> {
    await this.organization(input.organizationId);
    if (await this.store.isMemberByEmail(input.email, input.organizationId)) {
      throw new ValidationError([{ field: 'email', message: 'is already a member of this organization' }]);
    }
    const { token, hash } = generateToken(TokenKind.Invitation);
    const validSeconds = invitationDays * 86_400;
    const invitation = await this.store.transaction((tx) =>
      this.store.insertInvitation(tx, { orgId: input.organizationId, email: input.email, role: input.role, tokenHash: hash, invitedBy, validSeconds }),
    );
    return { invitation, token };
  }

  /**
   * Accepts an invitation, once: makes the user (email from the invitation,
   * with the given password and name) or, when the email has a user already,
   * checks that user's password; adds the membership (an existing one keeps
   * its role) and answers a session for the organization.
   */
  async acceptInvitation(input: AcceptInvitationInput): Promise<SignedInSession & { invitationId: string }> {
    this.sessions.requireSignIn();
    const hash = hashToken(input.token);
    const pending = await this.store.usableInvitation(hash);
    if (!pending) throw new InvalidInvitationError();
    const existing = await this.store.findUserByEmail(pending.email);
    let passwordHash: string | null = null;
    if (existing) {
      if (existing.passwordHash === null) throw new PasswordlessUserError();
      const subjects = signInSubjects(existing.email, input.clientAddress);
      await this.limits.attempt(subjects);
      if (!(await passwordMatches(input.password, existing.passwordHash))) throw new WrongAccountPasswordError();
      await this.limits.succeeded(subjects);
    } else {
      passwordHash = await hashPassword(input.password);
    }
    const accepted = await this.store.transaction(async (tx) => {
      const invitation = await this.store.claimInvitation(tx, hash);
      if (!invitation) return undefined;
      const user = existing ?? (await this.store.insertUser(tx, { email: invitation.email, name: input.name, passwordHash }));
      // Made meanwhile by another acceptance: roll back, so this invitation still works.
      if (!user) throw new InvalidInvitationError();
      const role = await this.store.addMembership(tx, user.id, invitation.orgId, invitation.role);
      return { user, invitation, role };
    });
    if (!accepted) throw new InvalidInvitationError();
    const session = await this.sessions.startSession(accepted.user, { orgId: accepted.invitation.orgId, role: accepted.role }, input.clientAddress);
    return { ...session, invitationId: accepted.invitation.id };
  }

  async listInvitations(organizationId: string): Promise<InvitationRecord[]> {
    await this.organization(organizationId);
    return this.store.invitations(organizationId);
  }

  /** Revokes an invitation not yet accepted; `revoked` is false when it was accepted or revoked before. */
  async revokeInvitation(id: string): Promise<{ organizationId: string; revoked: boolean }> {
    const result = await this.store.revokeInvitation(id);
    if (!result) throw new InvitationNotFoundError(id);
    return { organizationId: result.orgId, revoked: result.revoked };
  }

  async listMembers(organizationId: string): Promise<MemberRecord[]> {
    await this.organization(organizationId);
    return this.store.members(organizationId);
  }

  /** Sets a member's role; the organization's last OWNER cannot be demoted. */
  async setMemberRole(input: SetMemberRoleInput): Promise<MemberRecord> {
    return this.store.transaction(async (tx) => {
      const owners = await this.store.lockOwners(tx, input.organizationId);
      const current = await this.store.role(input.userId, input.organizationId, tx);
      if (!current) throw new MemberNotFoundError(input.userId, input.organizationId);
      if (current === 'OWNER' && input.role !== 'OWNER' && owners <= 1) throw new LastOwnerError(input.organizationId);
      await this.store.setRole(tx, input.organizationId, input.userId, input.role);
      return (await this.store.member(tx, input.organizationId, input.userId))!;
    });
  }

  /**
   * Removes a member and ends their sessions in the organization; the last
   * OWNER cannot be removed. `false` when the user was not a member.
   */
  async removeMember(input: MemberInput): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      const owners = await this.store.lockOwners(tx, input.organizationId);
      const current = await this.store.role(input.userId, input.organizationId, tx);
      if (!current) return false;
      if (current === 'OWNER' && owners <= 1) throw new LastOwnerError(input.organizationId);
      await this.store.deleteMembership(tx, input.organizationId, input.userId);
      await this.store.revokeUserSessions(input.userId, { orgId: input.organizationId }, tx);
      return true;
    });
  }

  ready(): Promise<void> {
    return this.store.ping();
  }

  private async organization(id: string): Promise<Organization> {
    const organization = await this.organizations.findOrganization(id);
    if (!organization) throw new OrganizationNotFoundError(id);
    return organization;
  }
}
