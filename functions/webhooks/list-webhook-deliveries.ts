import { MessageStatus, WebhooksService } from '../../proto/gen/polaris/webhooks/v1/webhooks.js';
import { ValidationError } from '../../shared/errors.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateListDeliveries } from './domain/index.js';
import { webhooksContext } from './context.js';
import { messageMessage, statusFromRpc } from './wire.js';

/** An endpoint's messages, newest first, with every attempt: the delivery log. */
export default defineGrpcFunction({
  method: WebhooksService.listWebhookDeliveries,
  context: webhooksContext,
  operatorOnly: true,
  async handle(request, { webhooks }) {
    const status = statusFromRpc(request.status);
    if (!status && request.status !== MessageStatus.MESSAGE_STATUS_UNSPECIFIED) throw new ValidationError([{ field: 'status', message: 'must be PENDING, DELIVERED or FAILED' }]);
    const messages = await webhooks.listDeliveries(validateListDeliveries({ ...request, status }));
    return { messages: messages.map(messageMessage) };
  },
});
