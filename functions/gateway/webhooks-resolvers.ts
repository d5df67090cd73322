/**
 * The fields the Webhooks service answers: endpoints, their signing secrets
 * (shown once), the delivery log and redelivery. Who may use each:
 * functions/gateway/access.ts. A tenant's calls carry its organization, and
 * Webhooks answers NOT_FOUND for an endpoint or message of any other (the
 * operator's own included), so ids do not tell what exists. GraphQL's
 * WebhookDeliveryStatus is the proto's MessageStatus without its prefix; the
 * proto's empty strings are GraphQL's nulls.
 */
import {
  MessageStatus,
  WebhooksService as Webhooks,
  type WebhookEndpoint,
  type WebhookMessage,
} from '../../proto/gen/polaris/webhooks/v1/webhooks.js';
import { tenantCaller } from './access.js';
import { callerOf, mutationMetadata, type RequestContext } from './request.js';

type StatusName = 'PENDING' | 'DELIVERED' | 'FAILED';

const statusPrefix = 'MESSAGE_STATUS_';
const orNull = (text: string) => text || null;

const endpointView = (endpoint: WebhookEndpoint) => ({
  id: endpoint.id,
  url: endpoint.url,
  eventTypes: endpoint.eventTypes,
  enabled: endpoint.enabled,
  organizationId: orNull(endpoint.organizationId),
  description: endpoint.description,
  createdAt: endpoint.createdAt,
  failingSince: orNull(endpoint.failingSince),
  disabledAt: orNull(endpoint.disabledAt),
});

const messageView = (message: WebhookMessage) => ({
  id: message.id,
  endpointId: message.endpointId,
  eventId: message.eventId,
  eventType: message.eventType,
  status: MessageStatus[message.status].slice(statusPrefix.length),
  createdAt: message.createdAt,
  deliveredAt: orNull(message.deliveredAt),
  nextAttemptAt: orNull(message.nextAttemptAt),
  payload: message.payload,
  attempts: message.attempts.map((attempt) => ({
    attemptedAt: attempt.attemptedAt,
    statusCode: attempt.statusCode || null,
    error: orNull(attempt.error),
    latencyMs: attempt.latencyMs,
    responseExcerpt: attempt.responseExcerpt,
    trigger: attempt.trigger,
  })),
});

/** The organization a call is confined to: the tenant's own; none ('') for the operator. */
async function scopeOf(context: RequestContext): Promise<string> {
  return tenantCaller(await callerOf(context))?.organizationId ?? '';
}

export const webhookQueries = {
  webhookEndpoints: async (_root: unknown, args: { organizationId?: string | null }, context: RequestContext) => {
    const { gateway } = context;
    const organizationId = (await scopeOf(context)) || (args.organizationId ?? '');
    const { endpoints } = await gateway.clients.call(Webhooks.listWebhookEndpoints, { organizationId }, gateway.operatorMetadata);
    return endpoints.map(endpointView);
  },
  webhookDeliveries: async (_root: unknown, args: { endpointId: string; status?: StatusName | null; limit?: number | null }, context: RequestContext) => {
    const { gateway } = context;
    const { messages } = await gateway.clients.call(
      Webhooks.listWebhookDeliveries,
      {
        endpointId: args.endpointId,
        organizationId: await scopeOf(context),
        status: args.status ? MessageStatus[`${statusPrefix}${args.status}`] : MessageStatus.MESSAGE_STATUS_UNSPECIFIED,
        limit: args.limit ?? 0,
      },
      gateway.operatorMetadata,
    );
    return messages.map(messageView);
  },
};

export const webhookMutations = {
  createWebhookEndpoint: async (_root: unknown, args: { url: string; eventTypes: string[]; organizationId?: string | null; description?: string | null }, context: RequestContext) => {
    const organizationId = (await scopeOf(context)) || (args.organizationId ?? '');
    const created = await context.gateway.clients.call(
      Webhooks.createWebhookEndpoint,
      { organizationId, url: args.url, eventTypes: args.eventTypes, description: args.description ?? '' },
      await mutationMetadata(context),
    );
    return { endpoint: endpointView(created.endpoint!), secret: created.secret };
  },
  updateWebhookEndpoint: async (
    _root: unknown,
    args: { id: string; url?: string | null; eventTypes?: string[] | null; enabled?: boolean | null; description?: string | null },
    context: RequestContext,
  ) => {
    const { endpoint } = await context.gateway.clients.call(
      Webhooks.updateWebhookEndpoint,
      {
        id: args.id,
        organizationId: await scopeOf(context),
        url: args.url ?? undefined,
        eventTypes: args.eventTypes ? { values: args.eventTypes } : undefined,
        enabled: args.enabled ?? undefined,
        description: args.description ?? undefined,
      },
      await mutationMetadata(context),
    );
    return endpointView(endpoint!);
  },
  rotateWebhookSecret: async (_root: unknown, args: { id: string }, context: RequestContext) => {
    const rotated = await context.gateway.clients.call(
      Webhooks.rotateWebhookSecret,
      { id: args.id, organizationId: await scopeOf(context) },
      await mutationMetadata(context),
    );
    return { endpoint: endpointView(rotated.endpoint!), secret: rotated.secret };
  },
  deleteWebhookEndpoint: async (_root: unknown, args: { id: string }, context: RequestContext) => {
    const { deleted } = await context.gateway.clients.call(
      Webhooks.deleteWebhookEndpoint,
      { id: args.id, organizationId: await scopeOf(context) },
      await mutationMetadata(context),
    );
    return deleted;
  },
  redeliverWebhook: async (_root: unknown, args: { messageId: string }, context: RequestContext) => {
    const { message } = await context.gateway.clients.call(
      Webhooks.redeliverWebhook,
      { messageId: args.messageId, organizationId: await scopeOf(context) },
      await mutationMetadata(context),
    );
    return messageView(message!);
  },
};
