import { WebhooksService } from '../../proto/gen/polaris/webhooks/v1/webhooks.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { validateListEndpoints } from './domain/index.js';
import { webhooksContext } from './context.js';
import { endpointMessage } from './wire.js';

/** An organization's endpoints, or every endpoint; never their secrets. */
export default defineGrpcFunction({
  method: WebhooksService.listWebhookEndpoints,
  context: webhooksContext,
  operatorOnly: true,
  async handle(request, { webhooks }) {
    const { scope } = validateListEndpoints(request);
    return { endpoints: (await webhooks.listEndpoints(scope)).map(endpointMessage) };
  },
});
