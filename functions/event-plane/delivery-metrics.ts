/** What event delivery counts: events each function took, failed attempts, dead letters, and time per attempt. */
import { Counter, Histogram, type Registry } from 'prom-client';
import { oncePerRegistry } from '../../shared/metrics.js';

/** Names of the metrics event delivery records. */
export const deliveryMetricNames = {
  /** Counter {function, type}: events a function took. */
  delivered: 'polaris_delivery_delivered_total',
  /** Counter {function, type}: failed attempts (each one, including the last). */
  failures: 'polaris_delivery_failures_total',
  /** Counter {function, type}: events moved to the dead-letter stream. */
  deadLettered: 'polaris_delivery_dead_lettered_total',
  /** Histogram {function}: seconds per attempt, successful or not. */
  duration: 'polaris_delivery_duration_seconds',
} as const;

export interface DeliveryMetrics {
  delivered: Counter<'function' | 'type'>;
  failures: Counter<'function' | 'type'>;
  deadLettered: Counter<'function' | 'type'>;
  duration: Histogram<'function'>;
}

/** The delivery metrics of `registry`, created once (several EventDelivery may share a registry). */
export const deliveryMetrics = oncePerRegistry((registry: Registry): DeliveryMetrics => {
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['function', 'type'], registers: [registry] });
  return {
    delivered: counter(deliveryMetricNames.delivered, 'Events a function took, by function and type'),
    failures: counter(deliveryMetricNames.failures, 'Failed delivery attempts, by function and type'),
    deadLettered: counter(deliveryMetricNames.deadLettered, 'Events moved to the dead-letter stream, by function and type'),
    duration: new Histogram({
      name: deliveryMetricNames.duration,
      help: 'Seconds per delivery attempt, by function',
      labelNames: ['function'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
});
