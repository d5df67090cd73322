/**
 * Prometheus metrics: one private registry per process (never prom-client's
 * global one, so tests and the local host can hold several), labelled with the
 * Knative service and revision.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

export function createMetricsRegistry(labels: { service: string; revision: string }): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}
