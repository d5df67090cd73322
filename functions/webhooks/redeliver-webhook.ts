import { WebhooksService } from '../../proto/gen/polaris/webhooks/v1/webhooks.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateMessageReference } from './domain/index.js';
import { webhooksContext } from './context.js';
import { messageMessage } from './wire.js';

/** Sends a message again now, with the same webhook-id; the answer holds the new attempt. */
export default defineGrpcFunction({
  method: WebhooksService.redeliverWebhook,
  context: webhooksContext,
  operatorOnly: true,
  async handle(request, { webhooks }) {
    return { message: messageMessage(await webhooks.redeliver(validateMessageReference(request))) };
  },
  audit: (request) => ({
    action: 'webhook_message.redeliver',
    target: `webhook_message:${request.messageId}`,
    ...(request.organizationId && { organizationId: request.organizationId.toLowerCase() }),
  }),
});
