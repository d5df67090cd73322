/**
 * The CloudEvents Polaris publishes and consumes: their types, the shape of
 * each one's `data`, and a helper that builds a validated event.
 */
import { CloudEvent } from 'cloudevents';

/**
 * Every CloudEvent type on the Polaris stream. `data` is JSON
 * (`datacontenttype: application/json`); amounts and quantities are decimal
 * strings so no precision is lost in JavaScript numbers, instants are RFC 3339.
 */
export const EventType = {
  /** A usage event was accepted, once. `data`: {@link UsageRecordedData}. */
  UsageRecorded: 'dev.polaris.usage.recorded',
  /** Someone asks Usage to aggregate now, for one organization or all. `data`: {@link AggregationRequestedData}. */
  AggregationRequested: 'dev.polaris.aggregation.requested',
  /** An aggregation run finished (the scheduled close of billing periods follows it). `data`: {@link AggregationCompletedData}. */
  AggregationCompleted: 'dev.polaris.aggregation.completed',
  /** An (organization, metric, period) total changed. `data`: {@link AggregateUpdatedData}. */
  AggregateUpdated: 'dev.polaris.aggregate.updated',
  /** An invoice was created or changed status or amount. `data`: {@link InvoiceUpdatedData}. */
  InvoiceUpdated: 'dev.polaris.invoice.updated',
  /** A draft invoice was created for a period. `data`: {@link InvoiceUpdatedData}. */
  InvoiceCreated: 'dev.polaris.invoice.created',
  /** An invoice was finalized and numbered. `data`: {@link InvoiceUpdatedData} with `number`. */
  InvoiceFinalized: 'dev.polaris.invoice.finalized',
  /** A finalized invoice was voided; the next open invoice credits it. `data`: {@link InvoiceUpdatedData} with `number` and `reason`. */
  InvoiceVoided: 'dev.polaris.invoice.voided',
  /**
   * A usage alert's threshold, or an entitlement's metered limit, was reached
   * in a billing period: once per (alert or entitlement, threshold, period).
   * `data`: {@link UsageThresholdCrossedData}.
   */
  UsageThresholdCrossed: 'dev.polaris.usage.threshold.crossed',
  /** A payment provider (Stripe) reports a finalized invoice paid. `data`: {@link InvoiceUpdatedData} with `paymentStatus`. */
  InvoicePaid: 'dev.polaris.invoice.paid',
  /** An attempt to collect a finalized invoice failed; it may still be paid. `data`: {@link InvoiceUpdatedData} with `paymentStatus`. */
  InvoicePaymentFailed: 'dev.polaris.invoice.payment_failed',
  /** A finalized invoice was written off as uncollectible; it may still be paid. `data`: {@link InvoiceUpdatedData} with `paymentStatus`. */
  InvoiceUncollectible: 'dev.polaris.invoice.uncollectible',
  /** A webhook endpoint failed for too long and was disabled. `data`: {@link WebhookEndpointDisabledData}. */
  WebhookEndpointDisabled: 'dev.polaris.webhook.endpoint.disabled',
  /** The scheduled run that retries webhook messages whose next attempt is due (the CronJob, `npm start`'s timer). `data`: `{}`. */
  WebhooksDeliveryDue: 'dev.polaris.webhooks.delivery-due',
  /** A Knative PingSource tick (schedules such as periodic aggregation). `data` is what the PingSource was given. */
  KnativePing: 'dev.knative.sources.ping',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** `data` of `dev.polaris.usage.recorded`. */
export interface UsageRecordedData {
  orgId: string;
  metric: string;
  /** Decimal string, e.g. `"12.5"`. */
  quantity: string;
  /** When the usage happened, RFC 3339. */
  occurredAt: string;
  /** The usage event's id (also the CloudEvent id). */
  eventId: string;
}

/** `data` of `dev.polaris.aggregation.requested`: one organization, or every one when `orgId` is absent. */
export interface AggregationRequestedData {
  orgId?: string;
}

/** `data` of `dev.polaris.aggregation.completed`. */
export interface AggregationCompletedData {
  /** The organization the run was limited to, if any. */
  orgId?: string;
  /** Events the run counted. */
  events: number;
}

/** `data` of `dev.polaris.aggregate.updated`: the new total over [periodStart, periodEnd). */
export interface AggregateUpdatedData {
  orgId: string;
  metric: string;
  /** RFC 3339, inclusive. */
  periodStart: string;
  /** RFC 3339, exclusive. */
  periodEnd: string;
  /** Decimal string. */
  total: string;
}

/** `data` of `dev.polaris.invoice.updated`. */
export interface InvoiceUpdatedData {
  orgId: string;
  invoiceId: string;
  /** The invoice's status after the change, e.g. `draft`, `finalized`. */
  status: string;
  /** Decimal string, in the invoice's currency. */
  amount: string;
  /** RFC 3339, inclusive. */
  periodStart: string;
  /** RFC 3339, exclusive. */
  periodEnd: string;
  /** Once finalized: its number, unique per organization. */
  number?: string;
  /** For a voided invoice: why. */
  reason?: string;
  /** Once a payment provider reported on it: `paid`, `payment_failed` or `uncollectible`. */
  paymentStatus?: string;
}

/**
 * `data` of `dev.polaris.usage.threshold.crossed`: the value of the period
 * reached the threshold (value ≥ threshold). A value that later drops does
 * not un-cross it; the next billing period may cross it again.
 */
export interface UsageThresholdCrossedData {
  orgId: string;
  /** The usage alert; null when an entitlement's limit was reached (then `feature` names it). */
  alertId: string | null;
  /** The entitlement's feature key, when its metered limit was reached. */
  feature?: string;
  /** The metric measured; null when the alert watches the draft invoice's amount. */
  metric: string | null;
  /** Decimal string: the alert's budget × percent / 100, or the entitlement's limit; money in the invoice's currency for an invoice-amount alert. */
  threshold: string;
  /** Decimal string: the period's value when the crossing was seen. */
  value: string;
  /** The billing period, RFC 3339, inclusive. */
  periodStart: string;
  /** RFC 3339, exclusive. */
  periodEnd: string;
  /** Decimal string: the threshold as a percentage of the alert's budget (100 for an entitlement's limit). */
  percent?: string;
}

/** `data` of `dev.polaris.webhook.endpoint.disabled`. */
export interface WebhookEndpointDisabledData {
  /** The endpoint's organization; null for the operator's endpoints (every organization's events). */
  orgId: string | null;
  endpointId: string;
  url: string;
  /** RFC 3339: the first failure since the endpoint's last success. */
  failingSince: string;
}

/** `data` of `dev.polaris.webhooks.delivery-due`: nothing. */
export type WebhooksDeliveryDueData = Record<string, never>;

/** The `data` type of each event type. */
export interface EventDataByType {
  [EventType.UsageRecorded]: UsageRecordedData;
  [EventType.AggregationRequested]: AggregationRequestedData;
  [EventType.AggregationCompleted]: AggregationCompletedData;
  [EventType.AggregateUpdated]: AggregateUpdatedData;
  [EventType.InvoiceUpdated]: InvoiceUpdatedData;
  [EventType.InvoiceCreated]: InvoiceUpdatedData;
  [EventType.InvoiceFinalized]: InvoiceUpdatedData;
  [EventType.InvoiceVoided]: InvoiceUpdatedData;
  [EventType.UsageThresholdCrossed]: UsageThresholdCrossedData;
  [EventType.InvoicePaid]: InvoiceUpdatedData;
  [EventType.InvoicePaymentFailed]: InvoiceUpdatedData;
  [EventType.InvoiceUncollectible]: InvoiceUpdatedData;
  [EventType.WebhookEndpointDisabled]: WebhookEndpointDisabledData;
  [EventType.WebhooksDeliveryDue]: WebhooksDeliveryDueData;
  [EventType.KnativePing]: unknown;
}

/** Optional attributes of {@link newEvent}. */
export interface NewEventOptions {
  /** Event id; default a random UUID. Give a stable one (e.g. the usage event's id) when re-emitting must be recognised as the same event. */
  id?: string;
  /** RFC 3339 time of the occurrence; default now. */
  time?: string;
  /** The CloudEvent `subject`, e.g. the organization id, so consumers can route without reading `data`. */
  subject?: string;
}

/**
 * Builds a CloudEvent 1.0 with JSON `data`, validated by the SDK.
 *
 * @param source a URI-reference naming the producer, e.g. `/polaris/usage`.
 * @throws the SDK's `ValidationError` when an attribute is invalid (e.g. an empty source).
 */
export function newEvent<K extends EventType>(type: K, source: string, data: EventDataByType[K], options: NewEventOptions = {}): CloudEvent<EventDataByType[K]> {
  return new CloudEvent<EventDataByType[K]>({
    specversion: '1.0',
    id: options.id,
    type,
    source,
    time: options.time,
    subject: options.subject,
    datacontenttype: 'application/json',
    data,
  });
}

/** A CloudEvent in structured mode, ready to store or publish. */
export interface EncodedEvent {
  id: string;
  type: string;
  /** The JSON event (`application/cloudevents+json`). */
  body: string;
}

/** Encodes an event in structured mode (the SDK's JSON form: binary data as `data_base64`). */
export function encodeCloudEvent(event: CloudEvent<unknown>): EncodedEvent {
  return { id: event.id, type: event.type, body: JSON.stringify(event) };
}
