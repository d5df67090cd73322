/** CloudEvents on NATS JetStream, and the transactional outbox that publishes them. */
export {
  EventType,
  newEvent,
  type AggregateUpdatedData,
  type AggregationRequestedData,
  type EventDataByType,
  type InvoiceUpdatedData,
  type NewEventOptions,
  type UsageRecordedData,
} from './types.js';
export {
  allEventsSubject,
  cloudEventsContentType,
  decodeCloudEvent,
  encodeCloudEvent,
  ensureEventStream,
  EventDecodeError,
  eventStreamConfig,
  eventStreamLimits,
  publishCloudEvent,
  publishEncodedEvent,
  subjectForEventType,
  type EncodedEvent,
  type EventStreamConfig,
} from './nats.js';
export { enqueueEvents, OutboxPublishError, OutboxRelay, outboxTableSql, relayBackoff, type OutboxRelayOptions } from './outbox.js';
export { natsConnection, startOutboxRelay } from './connection.js';
