/** CloudEvents on NATS JetStream, and the transactional outbox that publishes them. */
export {
  EventType,
  newEvent,
  encodeCloudEvent,
  type AggregateUpdatedData,
  type AggregationRequestedData,
  type EventDataByType,
  type InvoiceUpdatedData,
  type NewEventOptions,
  type UsageRecordedData,
  type EncodedEvent,
} from './types.js';
export {
  allEventsSubject,
  cloudEventsContentType,
  decodeCloudEvent,
  ensureEventStream,
  EventDecodeError,
  eventStreamConfig,
  eventStreamLimits,
  publishCloudEvent,
  publishEncodedEvent,
  subjectForEventType,
  type EventStreamConfig,
} from './nats.js';
export { OutboxPublishError, OutboxRelay, relayBackoff, type OutboxRelayOptions } from './outbox.js';
export { enqueueEvents, outboxNotifyChannel, outboxNotifySql, outboxTableSql } from './outbox-writer.js';
export { closeNats, connectNats, natsConnection, startOutboxRelays, type OutboxRelaysOptions } from './connection.js';
