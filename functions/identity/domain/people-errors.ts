/**
 * The errors of people, sessions and invitations. Secrets that do not work
 * get one answer whatever the reason (unknown, expired, used, revoked), so an
 * answer tells a guesser nothing.
 */
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
  UnavailableError,
} from '../../../shared/errors.js';

export class UserNotFoundError extends NotFoundError {
  override name = 'UserNotFoundError';
  constructor(what: string) {
    super('user_not_found', `${what} does not exist`);
  }
}

export class MemberNotFoundError extends NotFoundError {
  override name = 'MemberNotFoundError';
  constructor(userId: string, organizationId: string) {
    super('member_not_found', `user ${userId} is not a member of organization ${organizationId}`);
  }
}

export class InvitationNotFoundError extends NotFoundError {
  override name = 'InvitationNotFoundError';
  constructor(id: string) {
    super('invitation_not_found', `invitation ${id} does not exist`);
  }
}

/** Removing or demoting an organization's only OWNER. */
export class LastOwnerError extends ConflictError {
  override name = 'LastOwnerError';
  constructor(organizationId: string) {
    super('last_owner', `organization ${organizationId} must keep at least one OWNER: make another member OWNER first`);
  }
}

/** An unknown email, a wrong password, or a user with no membership: one answer for all. */
export class SignInFailedError extends UnauthenticatedError {
  override name = 'SignInFailedError';
  constructor() {
    super('wrong email or password', 'invalid_credentials');
  }
}

export class InvalidRefreshTokenError extends UnauthenticatedError {
  override name = 'InvalidRefreshTokenError';
  constructor() {
    super('the refresh token is invalid, expired or already used: sign in again', 'invalid_refresh_token');
  }
}

export class InvalidInvitationError extends UnauthenticatedError {
  override name = 'InvalidInvitationError';
  constructor() {
    super('the invitation is invalid, expired or already used', 'invalid_invitation');
  }
}

export class InvalidPasswordResetError extends UnauthenticatedError {
  override name = 'InvalidPasswordResetError';
  constructor() {
    super('the password reset token is invalid, expired or already used', 'invalid_password_reset');
  }
}

/** An invitation for an existing user, with a password that is not theirs. */
export class WrongAccountPasswordError extends UnauthenticatedError {
  override name = 'WrongAccountPasswordError';
  constructor() {
    super("a user with this email exists: give that user's password", 'invalid_credentials');
  }
}

export class EmailNotVerifiedError extends UnauthenticatedError {
  override name = 'EmailNotVerifiedError';
  constructor() {
    super('the identity provider has not verified this email', 'email_not_verified');
  }
}

/** An identity provider vouched for someone Polaris has no membership for. */
export class NoMembershipError extends UnauthenticatedError {
  override name = 'NoMembershipError';
  constructor() {
    super('no membership for this email: ask an owner or admin of the organization for an invitation', 'no_membership');
  }
}

/** A signed-in user asking to act for an organization they do not belong to. */
export class NotAMemberError extends ForbiddenError {
  override name = 'NotAMemberError';
  constructor(organizationId: string) {
    super(`not a member of organization ${organizationId}`, 'not_a_member');
  }
}

/** An invitation to an email whose user signs in only through an identity provider. */
export class PasswordlessUserError extends ConflictError {
  override name = 'PasswordlessUserError';
  constructor() {
    super('sign_in_with_provider', 'this email signs in through an identity provider: sign in there to accept the invitation');
  }
}

export class SignInLockedError extends RateLimitedError {
  override name = 'SignInLockedError';
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, { message: `too many failed sign-ins: retry after ${retryAfterSeconds} s`, code: 'sign_in_locked' });
  }
}

export class SignInOffError extends UnavailableError {
  override name = 'SignInOffError';
  constructor() {
    super('sign-in is off: set POLARIS_SESSION_SECRET');
  }
}
