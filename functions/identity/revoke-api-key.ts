import { IdentityService, type RevokeApiKeyResponse } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { identityContext } from './context.js';
import { AuditFacts } from './people-audit.js';

/**
 * The organization of the key each answer revoked, for its audit entry: the
 * answer itself does not carry it (the gateway asks GetApiKey beforehand).
 */
const revokedKeyOrganization = new AuditFacts<RevokeApiKeyResponse, string | undefined>();

/** Operator: revokes a key; callers' caches drop it within their TTL (60 s at most). */
export default defineGrpcFunction({
  method: IdentityService.revokeApiKey,
  operatorOnly: true,
  context: identityContext,
  async handle(request, identity) {
    const { revoked, organizationId } = await identity.revokeApiKey(requireUuid('api_key_id', request.apiKeyId));
    return revokedKeyOrganization.attach({ revoked }, organizationId);
  },
  // A key already revoked changed nothing: no entry.
  audit: (request, response) =>
    response.revoked
      ? { action: 'api_key.revoke', target: `api_key:${request.apiKeyId.toLowerCase()}`, organizationId: revokedKeyOrganization.of(response) }
      : undefined,
});
