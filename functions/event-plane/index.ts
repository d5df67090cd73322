/**
 * The event plane: outboxes relayed to JetStream, events delivered from
 * JetStream to the functions subscribed to their types, and the always-on
 * process that runs both in the cluster (./process.ts).
 */
export { startEventPlane, subscriptionsFromRegistry, type EventPlane, type EventPlaneOptions } from './event-plane.js';
export { deliveryMetricNames } from './delivery-metrics.js';
export { deliveryDefaults, EventDelivery, type DeliverEvent, type EventDeliveryOptions, type EventSubscription } from './delivery.js';
export { DeadLetterHeader, deadLetterStreamName } from './dead-letter.js';
export { httpDeliverer, httpDelivererDefaults, type HttpDelivererOptions } from './http-deliverer.js';
export { OutboxPublishError, OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';
