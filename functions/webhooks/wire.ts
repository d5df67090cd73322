/** Webhooks' domain values in their protobuf form: instants as RFC 3339, absent ones as empty strings. */
import {
  MessageStatus as RpcStatus,
  type WebhookEndpoint as EndpointMessage,
  type WebhookMessage as MessageMessage,
} from '../../proto/gen/polaris/webhooks/v1/webhooks.js';
import { MessageStatus, type Endpoint, type Message } from './domain/index.js';

const iso = (at: Date | null) => at?.toISOString() ?? '';

const statusToRpc: Record<MessageStatus, RpcStatus> = {
  [MessageStatus.Pending]: RpcStatus.MESSAGE_STATUS_PENDING,
  [MessageStatus.Delivered]: RpcStatus.MESSAGE_STATUS_DELIVERED,
  [MessageStatus.Failed]: RpcStatus.MESSAGE_STATUS_FAILED,
};

/** The domain's status for an RPC's; undefined for unspecified (every status). */
export function statusFromRpc(status: RpcStatus): MessageStatus | undefined {
  return (Object.entries(statusToRpc) as [MessageStatus, RpcStatus][]).find(([, value]) => value === status)?.[0];
}

export function endpointMessage(endpoint: Endpoint): EndpointMessage {
  return {
    id: endpoint.id,
    organizationId: endpoint.orgId ?? '',
    url: endpoint.url,
    eventTypes: endpoint.eventTypes,
    enabled: endpoint.enabled,
    description: endpoint.description,
    createdAt: iso(endpoint.createdAt),
    updatedAt: iso(endpoint.updatedAt),
    failingSince: iso(endpoint.failingSince),
    disabledAt: iso(endpoint.disabledAt),
  };
}

export function messageMessage(message: Message): MessageMessage {
  return {
    id: message.id,
    endpointId: message.endpointId,
    eventId: message.eventId,
    eventType: message.eventType,
    status: statusToRpc[message.status],
    createdAt: iso(message.createdAt),
    deliveredAt: iso(message.deliveredAt),
    nextAttemptAt: iso(message.nextAttemptAt),
    payload: message.payload,
    attempts: message.attempts.map((attempt) => ({
      attemptedAt: iso(attempt.attemptedAt),
      statusCode: attempt.statusCode ?? 0,
      error: attempt.error ?? '',
      latencyMs: attempt.latencyMs,
      responseExcerpt: attempt.responseExcerpt,
      trigger: attempt.trigger,
    })),
  };
}
