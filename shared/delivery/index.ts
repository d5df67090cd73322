/** Event delivery from NATS JetStream to the functions subscribed to each type, over HTTP in binary mode. */
export {
  deliveryDefaults,
  deliveryMetricNames,
  durableConsumerName,
  EventDelivery,
  subscriptionsFromRegistry,
  type DeliverEvent,
  type EventDeliveryOptions,
  type EventSubscription,
} from './delivery.js';
export {
  allDeadLettersSubject,
  DeadLetterHeader,
  deadLetterErrorText,
  deadLetterLimits,
  deadLetterStreamName,
  deadLetterSubject,
  ensureDeadLetterStream,
} from './dead-letter.js';
export { DeliveryHttpError, httpDeliverer, httpDelivererDefaults, type HttpDelivererOptions } from './http-deliverer.js';
