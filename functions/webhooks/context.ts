/**
 * What Webhooks' functions share in one process: the service over one pool,
 * configured from the runtime's settings. Its one event (an endpoint
 * disabled) reaches JetStream through its outbox.
 */
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
    });
    return { webhooks };
  },
  ready: ({ webhooks }) => webhooks.ready(),
});
