/**
 * The scheduled aggregation request, as the cluster's CronJob and compose's
 * `aggregation-cron` container both send it.
 *
 * @module
 */
import { functionRegistry } from '../../functions/registry.js';
import { EventType } from '../../shared/events/index.js';
import type { FunctionEntry } from '../../shared/runtime/index.js';
import { localDefaults } from '../start/index.js';

/** The one function that handles the aggregation request (the registry says which). */
export function aggregationFunction(): FunctionEntry {
  const handlers = functionRegistry.filter((entry: FunctionEntry) => entry.subscribes?.includes(EventType.AggregationRequested));
  if (handlers.length !== 1) throw new Error(`expected one function subscribed to ${EventType.AggregationRequested}, found ${handlers.length}`);
  return handlers[0]!;
}

/** Minutes between aggregation runs: the local host's interval, so both schedule alike. */
export function aggregationMinutes(): number {
  const minutes = localDefaults.aggregationIntervalSeconds / 60;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 59) throw new Error('the aggregation interval must be whole minutes, under an hour');
  return minutes;
}

/** The CronJob's schedule. */
export function aggregationSchedule(): string {
  return `*/${aggregationMinutes()} * * * *`;
}

/**
 * A shell script that POSTs `dev.polaris.aggregation.requested` in binary
 * mode to `target` (a shell word), with an id of its own on every run.
 */
export function aggregationRequestScript(target: string, source: string): string {
  return [
    `curl -fsS --max-time 300 --retry 3 --retry-all-errors -X POST ${target} \\`,
    `  -H 'ce-specversion: 1.0' \\`,
    `  -H "ce-id: aggregation-$(cat /proc/sys/kernel/random/uuid)" \\`,
    `  -H 'ce-source: ${source}' \\`,
    `  -H 'ce-type: ${EventType.AggregationRequested}' \\`,
    `  -H "ce-time: $(date -u +%Y-%m-%dT%H:%M:%SZ)" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{}'`,
  ].join('\n');
}
