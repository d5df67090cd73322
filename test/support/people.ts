/** Users and sessions for tests, made through Identity's RPCs: an invitation accepted with a password. */
import { IdentityService, Role, type SessionResponse } from '../../proto/gen/polaris/identity/v1/identity.js';
import { rpcClient } from './grpc.js';

/** The password test users get unless a test says otherwise. */
export const testPassword = 'correct horse battery staple';

let counter = 0;

/** An email no other test user has. */
export function uniqueEmail(name = 'person'): string {
  counter += 1;
  return `${name}.${process.pid}.${counter}.${Date.now().toString(36)}@example.com`;
}

/**
 * A member of `organizationId` with `role`, signed in: invited and accepted
 * (a new user, or an existing one when `email` has a user already).
 */
export async function createMember(
  grpcAddress: string,
  organizationId: string,
  role: Role,
  options: { email?: string; password?: string; name?: string } = {},
): Promise<SessionResponse> {
  const client = rpcClient(grpcAddress);
  try {
    const email = options.email ?? uniqueEmail(Role[role].replace('ROLE_', '').toLowerCase());
    const { token } = await client.call(IdentityService.inviteUser, { organizationId, email, role });
    return await client.call(IdentityService.acceptInvitation, {
      token,
      password: options.password ?? testPassword,
      name: options.name ?? '',
      clientAddress: '',
    });
  } finally {
    client.close();
  }
}
