/**
 * Polaris's CloudEvents: their types and data, their structured-mode encoding
 * on NATS JetStream, the streams that hold them, the process's NATS
 * connection, and the write side of the transactional outbox.
 */
export {
  EventType,
  newEvent,
  encodeCloudEvent,
  type AggregateUpdatedData,
  type AggregationCompletedData,
  type InvoiceUpdatedData,
  type UsageRecordedData,
  type UsageThresholdCrossedData,
  type WebhookEndpointDisabledData,
  type EncodedEvent,
} from './types.js';
export { decodeCloudEvent, EventDecodeError, publishEncodedEvent, publishEncodedEvents, subjectForEventType, type PublishOutcome } from './nats.js';
export { allEventsSubject, ensureStream, eventStreamConfig, eventStreamLimits, eventStreamSpec, type EventStreamConfig, type StreamSpec } from './streams.js';
export { enqueueEvents, OutboxAnnouncer, outboxEventCountSql, outboxNotifyChannel, outboxNotifySql, outboxTableSql } from './outbox-writer.js';
export { natsConnection } from './connection.js';
