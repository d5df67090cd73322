/** Webhooks' domain, as its functions, the migrator and the tests use it. */
export { WebhookService, type WebhookServiceOptions, type EndpointWithSecret } from './service.js';
export { WebhookStore, type Endpoint, type Message, type Attempt, type AttemptTrigger } from './store.js';
export {
  MessageStatus,
  validateCreateEndpoint,
  validateUpdateEndpoint,
  validateEndpointReference,
  validateListEndpoints,
  validateListDeliveries,
  validateMessageReference,
  webhookLimits,
  type Scope,
} from './inputs.js';
export { deliverableEventTypes, eventTypePatterns, subscriptionsMatching } from './event-types.js';
export { defaultRetryDelaysMs, retryDelayMs } from './retry-schedule.js';
export { sendWebhook, AttemptError, responseExcerptBytes, type SendResult, type SenderOptions, type ResolveAll } from './sender.js';
export { blockedRangeOf, embeddedIpv4, type BlockedRange } from './address-guard.js';
export { generateSigningSecret, SecretBox } from './signing-secrets.js';
export { webhooksMigrations } from './migrations.js';
