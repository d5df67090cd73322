/** People, sessions and invitations in their protobuf form. */
import {
  Role as RoleMessage,
  type Invitation,
  type Member,
  type SessionResponse,
  type User as UserMessage,
} from '../../proto/gen/polaris/identity/v1/identity.js';
import type { Role } from '../../shared/session-token.js';
import type { InvitationRecord, MemberRecord, RoleName, SignedInSession, User } from './domain/index.js';
import { organizationMessage } from './wire.js';

const roleMessages: Record<Role, RoleMessage> = {
  OWNER: RoleMessage.ROLE_OWNER,
  ADMIN: RoleMessage.ROLE_ADMIN,
  MEMBER: RoleMessage.ROLE_MEMBER,
  VIEWER: RoleMessage.ROLE_VIEWER,
};

export const roleMessage = (role: Role): RoleMessage => roleMessages[role];

/** The role a request names; empty for ROLE_UNSPECIFIED and values this build does not know, which validators refuse. */
export function roleName(role: RoleMessage): RoleName {
  return (Object.entries(roleMessages).find(([, message]) => message === role)?.[0] as Role | undefined) ?? '';
}

export const userMessage = (user: User): UserMessage => ({ id: user.id, email: user.email, name: user.name });

export const sessionMessage = (session: SignedInSession): SessionResponse => ({
  accessToken: session.accessToken,
  expiresAt: session.accessTokenExpiresAt.toISOString(),
  refreshToken: session.refreshToken,
  user: userMessage(session.user),
  organization: organizationMessage(session.organization),
  role: roleMessage(session.role),
  sessionId: session.sessionId,
});

export const invitationMessage = (invitation: InvitationRecord): Invitation => ({
  id: invitation.id,
  organizationId: invitation.orgId,
  email: invitation.email,
  role: roleMessage(invitation.role),
  createdAt: invitation.createdAt.toISOString(),
  expiresAt: invitation.expiresAt.toISOString(),
  acceptedAt: invitation.acceptedAt?.toISOString() ?? '',
});

export const memberMessage = (member: MemberRecord): Member => ({
  user: userMessage(member.user),
  role: roleMessage(member.role),
  joinedAt: member.joinedAt.toISOString(),
});
