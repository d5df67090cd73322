/**
 * The events Polaris sends to webhook endpoints, and the patterns an endpoint
 * may subscribe with. The fan-out function is subscribed to exactly
 * {@link deliverableEventTypes} (functions/registry.ts; a test keeps the two
 * lists equal).
 */
import { EventType } from '../../../shared/events/index.js';

/** Every event type a webhook endpoint may receive. */
export const deliverableEventTypes = [
  EventType.InvoiceCreated,
  EventType.InvoiceUpdated,
  EventType.InvoiceFinalized,
  EventType.InvoiceVoided,
  // Emitted by payments (Stripe) once it reports the invoice's payment.
  'dev.polaris.invoice.paid',
  'dev.polaris.invoice.payment_failed',
  'dev.polaris.invoice.uncollectible',
  EventType.UsageThresholdCrossed,
  EventType.WebhookEndpointDisabled,
] as const;

/** Patterns that stand for every type under their prefix, present and future. */
export const eventTypePatterns = ['dev.polaris.invoice.*', 'dev.polaris.usage.threshold.*'] as const;

/** True when `type` is a deliverable type or a pattern. */
export function isSubscribableEventType(type: string): boolean {
  return (deliverableEventTypes as readonly string[]).includes(type) || (eventTypePatterns as readonly string[]).includes(type);
}

/** What an endpoint's event types must hold to receive `type`: the type itself, or a pattern covering it. */
export function subscriptionsMatching(type: string): string[] {
  return [type, ...eventTypePatterns.filter((pattern) => type.startsWith(pattern.slice(0, -1)))];
}
