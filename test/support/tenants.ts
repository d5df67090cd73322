/** Organizations and API keys for tests, made through Identity's RPCs. */
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { rpcClient } from './grpc.js';

export interface TestTenant {
  organizationId: string;
  apiKey: string;
  apiKeyId: string;
}

export async function createTenant(grpcAddress: string, name = 'Tenant'): Promise<TestTenant> {
  const client = rpcClient(grpcAddress);
  try {
    const created = await client.call(IdentityService.createOrganization, { name, externalId: '' });
    return { organizationId: created.organization!.id, apiKey: created.apiKey, apiKeyId: created.apiKeyId };
  } finally {
    client.close();
  }
}
