import { ApiKeyStatus as ApiKeyStatusMessage, IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { ApiKeyStatus } from './domain/index.js';
import { identityContext } from './context.js';
import { limitsMessage } from './wire.js';

const statusMessage = {
  [ApiKeyStatus.Valid]: ApiKeyStatusMessage.API_KEY_STATUS_VALID,
  [ApiKeyStatus.Unknown]: ApiKeyStatusMessage.API_KEY_STATUS_UNKNOWN,
  [ApiKeyStatus.Revoked]: ApiKeyStatusMessage.API_KEY_STATUS_REVOKED,
  [ApiKeyStatus.Expired]: ApiKeyStatusMessage.API_KEY_STATUS_EXPIRED,
};

/**
 * Resolves an API key to its organization and scopes; unknown, revoked and
 * expired keys answer valid = false. A service key answers INGEST_ANY and no
 * organization.
 */
export default defineGrpcFunction({
  method: IdentityService.validateApiKey,
  context: identityContext,
  async handle(request, identity) {
    const result = await identity.validateApiKey(request.apiKey);
    return {
      valid: result.status === ApiKeyStatus.Valid,
      status: statusMessage[result.status],
      organizationId: result.organizationId ?? '',
      keyId: result.keyId ?? '',
      scopes: result.scopes ?? [],
      limits: result.limits && limitsMessage(result.limits),
    };
  },
});
