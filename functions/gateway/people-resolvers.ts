/**
 * The fields of people and access that Identity answers: sessions, users,
 * members, invitations, password changes and resets, and the audit log.
 * Who may use each: functions/gateway/access.ts; the OWNER rule is checked
 * here, where the role at stake is known. GraphQL's Role is the proto's
 * without its prefix (`ADMIN` ↔ `ROLE_ADMIN`); the proto's empty strings are
 * GraphQL's nulls.
 */
import {
  IdentityService as Identity,
  type AuditEntry,
  type Invitation,
  type Member,
  type SessionResponse,
  type User,
} from '../../proto/gen/polaris/identity/v1/identity.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import { isUuid } from '../../shared/validation.js';
import { requireMayGrantRole, sessionOf, tenantCaller } from './access.js';
import type { Caller } from './auth.js';
import { renamingFields } from './errors.js';
import { roleName, roleValue, type RoleName } from './permissions.js';
import { anonymousMetadata, callerOf, mutationMetadata, type RequestContext } from './request.js';

const orNull = (text: string) => text || null;

const userView = (user: User | undefined) => ({ id: user?.id ?? '', email: user?.email ?? '', name: orNull(user?.name ?? '') });

const sessionView = (session: SessionResponse) => ({
  accessToken: session.accessToken,
  refreshToken: session.refreshToken,
  expiresAt: session.expiresAt,
  user: userView(session.user),
  organization: session.organization,
  role: roleName(session.role),
});

const memberView = (member: Member) => ({ user: userView(member.user), role: roleName(member.role), joinedAt: member.joinedAt });

const pendingInvitationView = (invitation: Invitation) => ({
  id: invitation.id,
  email: invitation.email,
  role: roleName(invitation.role),
  createdAt: invitation.createdAt,
  expiresAt: invitation.expiresAt,
});

const auditEntryView = (entry: AuditEntry) => ({
  at: entry.at,
  actor: entry.actor,
  action: entry.action,
  target: orNull(entry.target),
  organizationId: orNull(entry.organizationId),
  clientAddress: orNull(entry.clientAddress),
});

/** The member's role now, for the OWNER rule; undefined when the user is no member (Identity then answers NOT_FOUND). */
async function currentRole({ gateway }: RequestContext, organizationId: string, userId: string): Promise<RoleName | undefined> {
  const { members } = await gateway.clients.call(Identity.listMembers, { organizationId }, gateway.operatorMetadata);
  const member = members.find((m) => m.user?.id === userId.toLowerCase());
  return member && roleName(member.role);
}

/** A tenant may touch a member whose role is below OWNER, unless it owns the organization. */
async function requireMayChangeMember(context: RequestContext, caller: Caller, organizationId: string, userId: string): Promise<void> {
  if (!tenantCaller(caller)) return;
  const role = await currentRole(context, organizationId, userId);
  if (role) requireMayGrantRole(caller, role);
}

type OrganizationArgs = { organizationId: string };

export const peopleQueries = {
  viewer: async (_root: unknown, _args: unknown, context: RequestContext) => {
    const session = sessionOf(await callerOf(context));
    if (!session) return null;
    const { gateway } = context;
    return userView((await gateway.clients.call(Identity.getUser, { userId: session.userId }, gateway.operatorMetadata)).user);
  },
  memberships: async (_root: unknown, _args: unknown, context: RequestContext) => {
    const session = sessionOf(await callerOf(context));
    if (!session) return [];
    const { gateway } = context;
    const { memberships } = await gateway.clients.call(Identity.getUser, { userId: session.userId }, gateway.operatorMetadata);
    return memberships.map((membership) => ({ organization: membership.organization, role: roleName(membership.role) }));
  },
  auditLog: async (_root: unknown, args: { organizationId?: string | null; action?: string | null; from?: string | null; to?: string | null; limit?: number | null }, context: RequestContext) => {
    const caller = await callerOf(context);
    const { gateway } = context;
    // A tenant's own organization's (access.ts refused any other); the operator's: the one asked for, or all.
    const organizationId = tenantCaller(caller)?.organizationId ?? args.organizationId ?? '';
    const { entries } = await gateway.clients.call(
      Identity.listAuditLog,
      { organizationId, action: args.action ?? '', from: args.from ?? '', to: args.to ?? '', limit: args.limit ?? 0 },
      gateway.operatorMetadata,
    );
    return entries.map(auditEntryView);
  },
};

export const peopleOrganizationFields = {
  members: async (parent: { id: string }, _args: unknown, { gateway }: RequestContext) =>
    (await gateway.clients.call(Identity.listMembers, { organizationId: parent.id }, gateway.operatorMetadata)).members.map(memberView),
  invitations: async (parent: { id: string }, _args: unknown, { gateway }: RequestContext) =>
    (await gateway.clients.call(Identity.listInvitations, { organizationId: parent.id }, gateway.operatorMetadata)).invitations
      .filter((invitation) => !invitation.acceptedAt)
      .map(pendingInvitationView),
};

export const peopleMutations = {
  signIn: async (_root: unknown, args: { email: string; password: string; organizationId?: string | null }, context: RequestContext) => {
    const session = await context.gateway.clients.call(
      Identity.signIn,
      { email: args.email, password: args.password, organizationId: args.organizationId ?? '', clientAddress: context.clientAddress() },
      anonymousMetadata(context),
    );
    return sessionView(session);
  },
  refreshSession: async (_root: unknown, args: { refreshToken: string; organizationId?: string | null }, context: RequestContext) =>
    sessionView(
      await context.gateway.clients.call(
        Identity.refreshSession,
        { refreshToken: args.refreshToken, organizationId: args.organizationId ?? '' },
        anonymousMetadata(context),
      ),
    ),
  signOut: async (_root: unknown, args: { refreshToken: string; everywhere?: boolean | null }, context: RequestContext) => {
    const { sessionsRevoked } = await context.gateway.clients.call(
      Identity.signOut,
      { refreshToken: args.refreshToken, everywhere: args.everywhere ?? false },
      anonymousMetadata(context),
    );
    return sessionsRevoked > 0;
  },
  acceptInvitation: async (_root: unknown, args: { token: string; password: string; name?: string | null }, context: RequestContext) =>
    sessionView(
      await context.gateway.clients.call(
        Identity.acceptInvitation,
        { token: args.token, password: args.password, name: args.name ?? '', clientAddress: context.clientAddress() },
        anonymousMetadata(context),
      ),
    ),
  resetPassword: async (_root: unknown, args: { token: string; newPassword: string }, context: RequestContext) => {
    await context.gateway.clients.call(Identity.resetPassword, { token: args.token, newPassword: args.newPassword }, anonymousMetadata(context));
    return true;
  },
  changePassword: async (_root: unknown, args: { currentPassword: string; newPassword: string }, context: RequestContext) => {
    const session = sessionOf(await callerOf(context))!;
    await context.gateway.clients.call(
      Identity.changePassword,
      { userId: session.userId, currentPassword: args.currentPassword, newPassword: args.newPassword, sessionId: session.sessionId },
      await mutationMetadata(context),
    );
    return true;
  },
  createPasswordReset: async (_root: unknown, args: { email: string }, context: RequestContext) =>
    context.gateway.clients.call(Identity.createPasswordReset, { email: args.email }, await mutationMetadata(context)),
  inviteUser: async (_root: unknown, args: OrganizationArgs & { email: string; role: RoleName }, context: RequestContext) => {
    requireMayGrantRole(await callerOf(context), args.role);
    const { invitation, token } = await context.gateway.clients.call(
      Identity.inviteUser,
      { organizationId: args.organizationId, email: args.email, role: roleValue(args.role) },
      await mutationMetadata(context),
    );
    return { ...pendingInvitationView(invitation!), token };
  },
  setMemberRole: async (_root: unknown, args: OrganizationArgs & { userId: string; role: RoleName }, context: RequestContext) => {
    const caller = await callerOf(context);
    requireMayGrantRole(caller, args.role);
    await requireMayChangeMember(context, caller, args.organizationId, args.userId);
    const { member } = await context.gateway.clients.call(
      Identity.setMemberRole,
      { organizationId: args.organizationId, userId: args.userId, role: roleValue(args.role) },
      await mutationMetadata(context),
    );
    return memberView(member!);
  },
  removeMember: async (_root: unknown, args: OrganizationArgs & { userId: string }, context: RequestContext) => {
    await requireMayChangeMember(context, await callerOf(context), args.organizationId, args.userId);
    const { removed } = await context.gateway.clients.call(
      Identity.removeMember,
      { organizationId: args.organizationId, userId: args.userId },
      await mutationMetadata(context),
    );
    return removed;
  },
  revokeInvitation: async (_root: unknown, args: { id: string }, context: RequestContext) => {
    const tenant = tenantCaller(await callerOf(context));
    const { gateway } = context;
    if (tenant) {
      if (!isUuid(args.id)) throw new ValidationError([{ field: 'id', message: 'must be a UUID' }]);
      // Found among the caller's organization's invitations, or as unknown as one that does not exist.
      const { invitations } = await gateway.clients.call(Identity.listInvitations, { organizationId: tenant.organizationId }, gateway.operatorMetadata);
      const invitation = invitations.find((one) => one.id === args.id.toLowerCase());
      if (!invitation) throw new NotFoundError('invitation_not_found', `invitation ${args.id} does not exist`);
      const role = roleName(invitation.role);
      if (role) requireMayGrantRole(tenant, role);
    }
    const { revoked } = await gateway.clients
      .call(Identity.revokeInvitation, { invitationId: args.id }, await mutationMetadata(context))
      .catch(renamingFields({ invitation_id: 'id' }));
    return revoked;
  },
};
