import { WebhooksService } from '../../proto/gen/polaris/webhooks/v1/webhooks.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateEndpointReference } from './domain/index.js';
import { webhooksContext } from './context.js';
import { endpointMessage } from './wire.js';

/** A new signing secret, shown once; the previous one signs beside it for 24 hours. */
export default defineGrpcFunction({
  method: WebhooksService.rotateWebhookSecret,
  context: webhooksContext,
  operatorOnly: true,
  async handle(request, { webhooks }) {
    const { endpoint, secret } = await webhooks.rotateSecret(validateEndpointReference(request));
    return { endpoint: endpointMessage(endpoint), secret };
  },
  audit: (_request, { endpoint }) => ({
    action: 'webhook_endpoint.rotate_secret',
    target: `webhook_endpoint:${endpoint!.id}`,
    ...(endpoint!.organizationId && { organizationId: endpoint!.organizationId }),
  }),
});
