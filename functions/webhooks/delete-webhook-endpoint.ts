import { WebhooksService } from '../../proto/gen/polaris/webhooks/v1/webhooks.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateEndpointReference } from './domain/index.js';
import { webhooksContext } from './context.js';

/** Removes an endpoint with its messages and their attempts. */
export default defineGrpcFunction({
  method: WebhooksService.deleteWebhookEndpoint,
  context: webhooksContext,
  operatorOnly: true,
  async handle(request, { webhooks }) {
    await webhooks.deleteEndpoint(validateEndpointReference(request));
    return { deleted: true };
  },
  audit: (request) => ({
    action: 'webhook_endpoint.delete',
    target: `webhook_endpoint:${request.id.toLowerCase()}`,
    ...(request.organizationId && { organizationId: request.organizationId.toLowerCase() }),
  }),
});
