import { WebhooksService } from '../../proto/gen/polaris/webhooks/v1/webhooks.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateUpdateEndpoint } from './domain/index.js';
import { webhooksContext } from './context.js';
import { endpointMessage } from './wire.js';

/** Changes an endpoint's URL, event types, description or whether it is enabled. */
export default defineGrpcFunction({
  method: WebhooksService.updateWebhookEndpoint,
  context: webhooksContext,
  operatorOnly: true,
  async handle(request, { webhooks }) {
    return { endpoint: endpointMessage(await webhooks.updateEndpoint(validateUpdateEndpoint(request, webhooks.urlPolicy))) };
  },
  audit: (request, { endpoint }) => ({
    action: request.enabled === false ? 'webhook_endpoint.disable' : request.enabled === true ? 'webhook_endpoint.enable' : 'webhook_endpoint.update',
    target: `webhook_endpoint:${endpoint!.id}`,
    ...(endpoint!.organizationId && { organizationId: endpoint!.organizationId }),
  }),
});
