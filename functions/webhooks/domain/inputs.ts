/** Webhooks' inputs and their validators, reporting every problem at once under the wire's field names. */
import { isIP } from 'node:net';
import { Problems } from '../../../shared/errors.js';
import { isStorableText, isUuid, storableTextProblem } from '../../../shared/validation.js';
import { blockedRangeOf } from './address-guard.js';
import { deliverableEventTypes, eventTypePatterns, isSubscribableEventType } from './event-types.js';

export const webhookLimits = {
  urlLength: 2048,
  descriptionLength: 500,
  eventTypes: 20,
  /** Messages one ListWebhookDeliveries answers by default, and at most. */
  defaultDeliveries: 50,
  maxDeliveries: 250,
} as const;

export const MessageStatus = { Pending: 'pending', Delivered: 'delivered', Failed: 'failed' } as const;
export type MessageStatus = (typeof MessageStatus)[keyof typeof MessageStatus];

/** Who a call acts for: an organization (a tenant's call, objects of others are not found), or undefined for the operator. */
export type Scope = string | undefined;

export interface CreateEndpointInput {
  /** Null: the operator's endpoint, for every organization's events. */
  orgId: string | null;
  url: string;
  eventTypes: string[];
  description: string;
}

export interface UpdateEndpointInput {
  id: string;
  scope: Scope;
  url?: string;
  eventTypes?: string[];
  enabled?: boolean;
  description?: string;
}

export interface EndpointReference {
  id: string;
  scope: Scope;
}

export interface ListDeliveriesInput {
  endpointId: string;
  scope: Scope;
  status?: MessageStatus;
  limit: number;
}

export interface MessageReference {
  messageId: string;
  scope: Scope;
}

/** What the URL check needs to know of the configuration. */
export interface UrlPolicy {
  allowPrivate: boolean;
}

const messageIdPattern = /^msg_[0-9a-f]{32}$/;

export function validateCreateEndpoint(
  input: { organizationId: string; url: string; eventTypes: readonly string[]; description: string },
  policy: UrlPolicy,
): CreateEndpointInput {
  const problems = new Problems();
  const orgId = input.organizationId === '' ? null : checkUuid(problems, 'organization_id', input.organizationId);
  const url = checkUrl(problems, 'url', input.url, policy);
  const eventTypes = checkEventTypes(problems, 'event_types', input.eventTypes);
  const description = checkDescription(problems, 'description', input.description);
  problems.throwIfAny();
  return { orgId: orgId ?? null, url: url!, eventTypes: eventTypes!, description: description! };
}

export function validateUpdateEndpoint(
  input: { id: string; organizationId: string; url?: string; eventTypes?: { values: readonly string[] }; enabled?: boolean; description?: string },
  policy: UrlPolicy,
): UpdateEndpointInput {
  const problems = new Problems();
  const id = checkUuid(problems, 'id', input.id);
  const scope = checkScope(problems, input.organizationId);
  const url = input.url === undefined ? undefined : checkUrl(problems, 'url', input.url, policy);
  const eventTypes = input.eventTypes === undefined ? undefined : checkEventTypes(problems, 'event_types', input.eventTypes.values);
  const description = input.description === undefined ? undefined : checkDescription(problems, 'description', input.description);
  problems.throwIfAny();
  return { id: id!, scope, url, eventTypes, enabled: input.enabled, description };
}

export function validateEndpointReference(input: { id: string; organizationId: string }): EndpointReference {
  const problems = new Problems();
  const id = checkUuid(problems, 'id', input.id);
  const scope = checkScope(problems, input.organizationId);
  problems.throwIfAny();
  return { id: id!, scope };
}

/** Lists every endpoint for an empty organization id, else that organization's. */
export function validateListEndpoints(input: { organizationId: string }): { scope: Scope } {
  const problems = new Problems();
  const scope = checkScope(problems, input.organizationId);
  problems.throwIfAny();
  return { scope };
}

export function validateListDeliveries(input: { endpointId: string; organizationId: string; status?: MessageStatus; limit: number }): ListDeliveriesInput {
  const problems = new Problems();
  const endpointId = checkUuid(problems, 'endpoint_id', input.endpointId);
  const scope = checkScope(problems, input.organizationId);
  const limit = input.limit === 0 ? webhookLimits.defaultDeliveries : input.limit;
  problems.check(Number.isInteger(limit) && limit >= 1 && limit <= webhookLimits.maxDeliveries, 'limit', `must be from 1 to ${webhookLimits.maxDeliveries}`);
  problems.throwIfAny();
  return { endpointId: endpointId!, scope, status: input.status, limit };
}

export function validateMessageReference(input: { messageId: string; organizationId: string }): MessageReference {
  const problems = new Problems();
  if (problems.check(input.messageId !== '', 'message_id', 'is required')) problems.check(messageIdPattern.test(input.messageId), 'message_id', 'must be a message id (msg_ and 32 hex digits)');
  const scope = checkScope(problems, input.organizationId);
  problems.throwIfAny();
  return { messageId: input.messageId, scope };
}

function checkUuid(problems: Problems, field: string, value: string): string | undefined {
  if (!problems.check(value !== '', field, 'is required')) return undefined;
  return problems.check(isUuid(value), field, 'must be a UUID') ? value.toLowerCase() : undefined;
}

function checkScope(problems: Problems, organizationId: string): Scope {
  return organizationId === '' ? undefined : checkUuid(problems, 'organization_id', organizationId);
}

/**
 * An absolute http or https URL without credentials (they would be shown in
 * every listing). A literal internal address is refused here; a name is
 * resolved and checked at each delivery, since what it resolves to may change.
 */
function checkUrl(problems: Problems, field: string, value: string, policy: UrlPolicy): string | undefined {
  if (!problems.check(value !== '', field, 'is required')) return undefined;
  if (!problems.check(value.length <= webhookLimits.urlLength && isStorableText(value), field, `must be a URL of at most ${webhookLimits.urlLength} characters`)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.add(field, 'must be an absolute http:// or https:// URL');
    return undefined;
  }
  if (!problems.check(url.protocol === 'https:' || url.protocol === 'http:', field, 'must be an absolute http:// or https:// URL')) return undefined;
  if (!problems.check(url.username === '' && url.password === '', field, 'must not carry a user name or password')) return undefined;
  if (!problems.check(url.hostname !== '', field, 'must name a host')) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const range = isIP(host) === 0 ? undefined : blockedRangeOf(host);
  if (!policy.allowPrivate && range) {
    problems.add(field, `must not point at a private, loopback, link-local or otherwise internal address (${range})`);
    return undefined;
  }
  // As the URL parser normalized it (IPv4 in any notation becomes dotted).
  return url.href;
}

function checkEventTypes(problems: Problems, field: string, values: readonly string[]): string[] | undefined {
  if (!problems.check(values.length > 0, field, 'must name at least one event type')) return undefined;
  if (!problems.check(values.length <= webhookLimits.eventTypes, field, `must name at most ${webhookLimits.eventTypes} event types`)) return undefined;
  const allowed = [...deliverableEventTypes, ...eventTypePatterns].join(', ');
  values.forEach((value, index) => problems.check(isSubscribableEventType(value), `${field}[${index}]`, `must be one of ${allowed}`));
  return [...new Set(values)];
}

function checkDescription(problems: Problems, field: string, value: string): string | undefined {
  problems.check(isStorableText(value), field, storableTextProblem);
  problems.check(value.length <= webhookLimits.descriptionLength, field, `must be at most ${webhookLimits.descriptionLength} characters`);
  return value;
}
