/** The CloudEvents Webhooks emits. */
import type { CloudEvent } from 'cloudevents';
import { EventType, newEvent, type WebhookEndpointDisabledData } from '../../../shared/events/index.js';

export const webhooksEventSource = '/polaris/webhooks';

/**
 * `dev.polaris.webhook.endpoint.disabled`, once per disabling: its id names
 * the endpoint and the failure that began it, so writing it twice is one event.
 */
export function endpointDisabledEvent(endpoint: { id: string; orgId: string | null; url: string; failingSince: Date }): CloudEvent<WebhookEndpointDisabledData> {
  return newEvent(
    EventType.WebhookEndpointDisabled,
    webhooksEventSource,
    { orgId: endpoint.orgId, endpointId: endpoint.id, url: endpoint.url, failingSince: endpoint.failingSince.toISOString() },
    { id: `endpoint-disabled-${endpoint.id}-${endpoint.failingSince.getTime()}`, ...(endpoint.orgId && { subject: endpoint.orgId }) },
  );
}
