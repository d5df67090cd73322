/**
 * What Webhooks' functions share in one process: the service over one pool,
 * configured from the runtime's settings, with Identity over gRPC to check
 * an endpoint's organization exists. Its one event (an endpoint
 * disabled) reaches JetStream through its outbox.
 */
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { defineServiceContext } from '../../shared/runtime/index.js';
import { WebhookService, WebhookStore } from './domain/index.js';

export const webhooksContext = defineServiceContext({
  service: 'webhooks',
  create(runtime) {
    const { config } = runtime;
    const webhooks = new WebhookService(new WebhookStore(runtime.database()), {
      secretKey: config.webhookSecretKey,
      allowPrivate: config.webhookAllowPrivate,
      timeoutMs: config.webhookTimeoutMs,
      disableAfterHours: config.webhookDisableAfterHours,
      logger: runtime.logger,
      // Identity's NOT_FOUND for an organization that does not exist.
      requireOrganization: async (organizationId) => {
        await runtime.clients.call(IdentityService.getOrganization, { organizationId });
      },
    });
    return { webhooks };
  },
  ready: ({ webhooks }) => webhooks.ready(),
});
