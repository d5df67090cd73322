/**
 * The event plane: outboxes relayed to JetStream or to an HTTP sink (the
 * cluster's Knative Broker), events delivered from JetStream to the functions
 * subscribed to their types, and the always-on processes: ./process.ts
 * (relay and delivery, for compose) and ./relay-process.ts (the cluster's
 * outbox relay and dead-letter sink).
 */
export { startEventPlane, startOutboxRelays, subscriptionsFromRegistry, type EventPlane, type EventPlaneOptions } from './event-plane.js';
export { DeadLetterStore, deadLetterSinkPath, deadLetterSinkUri, readDeadLetter } from './dead-letter-sink.js';
export { deliveryMetricNames } from './delivery-metrics.js';
export { deliveryDefaults, EventDelivery, type DeliverEvent, type EventDeliveryOptions, type EventSubscription } from './delivery.js';
export { DeadLetterHeader, deadLetterStreamName } from './dead-letter.js';
export { httpDeliverer, httpDelivererDefaults, type HttpDelivererOptions } from './http-deliverer.js';
export { OutboxPublishError, OutboxRelay, type ListedEventsReader, type OutboxRelayOptions, type OutboxTarget } from './outbox-relay.js';
