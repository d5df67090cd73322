/**
 * The inputs of people, sessions and invitations, and their validators. Each
 * validator reports every problem at once, naming fields as the wire does
 * (`new_password`). Secrets are checked for shape only: whether a token is
 * live or a password right is the service's to say, as UNAUTHENTICATED.
 */
import { Problems } from '../../../shared/errors.js';
import { isRole, type Role } from '../../../shared/session-token.js';
import { isStorableText, isUuid, storableTextProblem } from '../../../shared/validation.js';
import { maxPasswordLength, minPasswordLength } from './passwords.js';
import { isWellFormedToken, TokenKind } from './tokens.js';

export const maxEmailLength = 254;
const maxNameLength = 200;
const maxClientAddressLength = 100;
const maxIssuerLength = 2048;
/** OpenID Connect Core 1.0 §2: `sub` is at most 255 ASCII characters. */
const maxSubjectLength = 255;

export interface SignInInput {
  email: string;
  password: string;
  /** Undefined: the user's oldest membership. */
  organizationId?: string;
  clientAddress?: string;
}

export interface RefreshSessionInput {
  refreshToken: string;
  /** Switch the session to this organization, one of the user's. */
  organizationId?: string;
}

export interface SignOutInput {
  refreshToken: string;
  everywhere: boolean;
}

export interface OidcSignInInput {
  email: string;
  emailVerified: boolean;
  issuer: string;
  subject: string;
  organizationId?: string;
  clientAddress?: string;
}

export interface ChangePasswordInput {
  userId: string;
  currentPassword: string;
  newPassword: string;
  /** The session that stays; every other session of the user ends. Undefined: all end. */
  sessionId?: string;
}

export interface ResetPasswordInput {
  token: string;
  newPassword: string;
}

export interface InviteUserInput {
  organizationId: string;
  email: string;
  role: Role;
}

export interface AcceptInvitationInput {
  token: string;
  password: string;
  /** Empty when not given. */
  name: string;
  clientAddress?: string;
}

export interface MemberInput {
  organizationId: string;
  userId: string;
}

export interface SetMemberRoleInput extends MemberInput {
  role: Role;
}

/** The wire's role names; empty for ROLE_UNSPECIFIED or a value this build does not know. */
export type RoleName = Role | '';

const rolesProblem = 'must be OWNER, ADMIN, MEMBER or VIEWER';

/** An email address, trimmed and lower-cased: one @ with text on both sides, no whitespace, at most 254 characters. */
export function checkEmail(problems: Problems, field: string, value: string): string {
  const email = value.trim().toLowerCase();
  if (!problems.check(email !== '', field, 'is required')) return email;
  if (!problems.check(email.length <= maxEmailLength, field, `must be at most ${maxEmailLength} characters`)) return email;
  problems.check(isStorableText(email) && /^[^\s@]+@[^\s@]+$/u.test(email), field, 'must be an email address');
  return email;
}

/** A password being set: 8–256 characters (code points), valid Unicode. */
function checkNewPassword(problems: Problems, field: string, value: string): void {
  const length = [...value].length;
  problems.check(length >= minPasswordLength, field, `must be at least ${minPasswordLength} characters`);
  problems.check(length <= maxPasswordLength, field, `must be at most ${maxPasswordLength} characters`);
  problems.check(isStorableText(value), field, storableTextProblem);
}

/**
 * A password being checked: present and not longer than any password can be.
 * Not held to today's minimum, so a stricter rule later locks no one out.
 */
function checkGivenPassword(problems: Problems, field: string, value: string): void {
  if (problems.check(value !== '', field, 'is required')) {
    problems.check([...value].length <= maxPasswordLength, field, `must be at most ${maxPasswordLength} characters`);
  }
}

function checkToken(problems: Problems, field: string, kind: TokenKind, value: string, what: string): void {
  if (problems.check(value !== '', field, 'is required')) problems.check(isWellFormedToken(kind, value), field, `is not ${what} (${kind}_…)`);
}

function checkUuid(problems: Problems, field: string, value: string): string {
  if (problems.check(value !== '', field, 'is required')) problems.check(isUuid(value), field, 'must be a UUID');
  return value.toLowerCase();
}

function optionalUuid(problems: Problems, field: string, value: string): string | undefined {
  if (value === '') return undefined;
  problems.check(isUuid(value), field, 'must be a UUID');
  return value.toLowerCase();
}

/** The caller's address as the gateway saw it: printable ASCII without spaces (IPv4, IPv6, host:port). */
function optionalClientAddress(problems: Problems, value: string): string | undefined {
  if (value === '') return undefined;
  problems.check(value.length <= maxClientAddressLength && /^[\x21-\x7e]+$/.test(value), 'client_address', `must be at most ${maxClientAddressLength} printable ASCII characters without spaces`);
  return value;
}

function checkRole(problems: Problems, value: RoleName): Role {
  problems.check(isRole(value), 'role', rolesProblem);
  return value as Role;
}

export function validateSignIn(input: { email: string; password: string; organizationId: string; clientAddress: string }): SignInInput {
  const problems = new Problems();
  const email = checkEmail(problems, 'email', input.email);
  checkGivenPassword(problems, 'password', input.password);
  const organizationId = optionalUuid(problems, 'organization_id', input.organizationId);
  const clientAddress = optionalClientAddress(problems, input.clientAddress);
  problems.throwIfAny();
  return { email, password: input.password, organizationId, clientAddress };
}

export function validateRefreshSession(input: { refreshToken: string; organizationId: string }): RefreshSessionInput {
  const problems = new Problems();
  checkToken(problems, 'refresh_token', TokenKind.Refresh, input.refreshToken, 'a refresh token');
  const organizationId = optionalUuid(problems, 'organization_id', input.organizationId);
  problems.throwIfAny();
  return { refreshToken: input.refreshToken, organizationId };
}

export function validateSignOut(input: { refreshToken: string; everywhere: boolean }): SignOutInput {
  const problems = new Problems();
  checkToken(problems, 'refresh_token', TokenKind.Refresh, input.refreshToken, 'a refresh token');
  problems.throwIfAny();
  return { refreshToken: input.refreshToken, everywhere: input.everywhere };
}

export function validateOidcSignIn(input: {
  email: string;
  emailVerified: boolean;
  issuer: string;
  subject: string;
  organizationId: string;
  clientAddress: string;
}): OidcSignInInput {
  const problems = new Problems();
  const email = checkEmail(problems, 'email', input.email);
  if (problems.check(input.issuer !== '', 'issuer', 'is required')) {
    problems.check(input.issuer.length <= maxIssuerLength && /^https?:\/\/[\x21-\x7e]+$/.test(input.issuer), 'issuer', `must be an http(s) URL of at most ${maxIssuerLength} characters`);
  }
  if (problems.check(input.subject !== '', 'subject', 'is required')) {
    problems.check(input.subject.length <= maxSubjectLength && /^[\x20-\x7e]+$/.test(input.subject), 'subject', `must be at most ${maxSubjectLength} printable ASCII characters`);
  }
  const organizationId = optionalUuid(problems, 'organization_id', input.organizationId);
  const clientAddress = optionalClientAddress(problems, input.clientAddress);
  problems.throwIfAny();
  return { email, emailVerified: input.emailVerified, issuer: input.issuer, subject: input.subject, organizationId, clientAddress };
}

export function validateChangePassword(input: { userId: string; currentPassword: string; newPassword: string; sessionId: string }): ChangePasswordInput {
  const problems = new Problems();
  const userId = checkUuid(problems, 'user_id', input.userId);
  checkGivenPassword(problems, 'current_password', input.currentPassword);
  checkNewPassword(problems, 'new_password', input.newPassword);
  const sessionId = optionalUuid(problems, 'session_id', input.sessionId);
  problems.throwIfAny();
  return { userId, currentPassword: input.currentPassword, newPassword: input.newPassword, sessionId };
}

export function validateCreatePasswordReset(input: { email: string }): { email: string } {
  const problems = new Problems();
  const email = checkEmail(problems, 'email', input.email);
  problems.throwIfAny();
  return { email };
}

export function validateResetPassword(input: { token: string; newPassword: string }): ResetPasswordInput {
  const problems = new Problems();
  checkToken(problems, 'token', TokenKind.PasswordReset, input.token, 'a password reset token');
  checkNewPassword(problems, 'new_password', input.newPassword);
  problems.throwIfAny();
  return { token: input.token, newPassword: input.newPassword };
}

export function validateInviteUser(input: { organizationId: string; email: string; role: RoleName }): InviteUserInput {
  const problems = new Problems();
  const organizationId = checkUuid(problems, 'organization_id', input.organizationId);
  const email = checkEmail(problems, 'email', input.email);
  const role = checkRole(problems, input.role);
  problems.throwIfAny();
  return { organizationId, email, role };
}

export function validateAcceptInvitation(input: { token: string; password: string; name: string; clientAddress: string }): AcceptInvitationInput {
  const problems = new Problems();
  checkToken(problems, 'token', TokenKind.Invitation, input.token, 'an invitation token');
  // A new user's password is set here, an existing user's checked: the new rule covers both.
  checkNewPassword(problems, 'password', input.password);
  const name = input.name.trim();
  problems.check(name.length <= maxNameLength, 'name', `must be at most ${maxNameLength} characters`);
  problems.check(isStorableText(name), 'name', storableTextProblem);
  const clientAddress = optionalClientAddress(problems, input.clientAddress);
  problems.throwIfAny();
  return { token: input.token, password: input.password, name, clientAddress };
}

export function validateMember(input: { organizationId: string; userId: string }): MemberInput {
  const problems = new Problems();
  const organizationId = checkUuid(problems, 'organization_id', input.organizationId);
  const userId = checkUuid(problems, 'user_id', input.userId);
  problems.throwIfAny();
  return { organizationId, userId };
}

export function validateSetMemberRole(input: { organizationId: string; userId: string; role: RoleName }): SetMemberRoleInput {
  const problems = new Problems();
  const organizationId = checkUuid(problems, 'organization_id', input.organizationId);
  const userId = checkUuid(problems, 'user_id', input.userId);
  const role = checkRole(problems, input.role);
  problems.throwIfAny();
  return { organizationId, userId, role };
}
