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

/**
 * Makes `create` run once per registry: the instances of one component in a
 * process (relays for two schemas, say) then share its metrics, which
 * prom-client would otherwise refuse to register twice.
 */
export function oncePerRegistry<T>(create: (registry: Registry) => T): (registry: Registry) => T {
  const created = new WeakMap<Registry, T>();
  return (registry) => {
    let metrics = created.get(registry);
    if (metrics === undefined) {
      metrics = create(registry);
      created.set(registry, metrics);
    }
    return metrics;
  };
}
