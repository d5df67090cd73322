import { WebhooksService } from '../../proto/gen/polaris/webhooks/v1/webhooks.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateCreateEndpoint } from './domain/index.js';
import { webhooksContext } from './context.js';
import { endpointMessage } from './wire.js';

/** Registers an endpoint for an organization's events (or, without one, every organization's); its secret is shown once. */
export default defineGrpcFunction({
  method: WebhooksService.createWebhookEndpoint,
  context: webhooksContext,
  operatorOnly: true,
  async handle(request, { webhooks }) {
    const { endpoint, secret } = await webhooks.createEndpoint(validateCreateEndpoint(request, webhooks.urlPolicy));
    return { endpoint: endpointMessage(endpoint), secret };
  },
  audit: (_request, { endpoint }) => ({
    action: 'webhook_endpoint.create',
    target: `webhook_endpoint:${endpoint!.id}`,
    ...(endpoint!.organizationId && { organizationId: endpoint!.organizationId }),
  }),
});
