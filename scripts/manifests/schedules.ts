/**
 * The CloudEvents Polaris sends itself on a schedule: the aggregation request
 * and the webhook delivery run. The cluster's CronJobs and compose's
 * `*-cron` containers both send them, on the local host's intervals.
 *
 * @module
 */
import { functionRegistry } from '../../functions/registry.js';
import { EventType } from '../../shared/events/index.js';
import type { FunctionEntry } from '../../shared/runtime/index.js';
import { localDefaults } from '../start/index.js';

/** One scheduled CloudEvent. */
export interface ScheduledEvent {
  /** The CronJob's, its SinkBinding's and compose's container's name. */
  name: string;
  /** The container that posts it. */
  container: string;
  type: EventType;
  /** Minutes between runs, whole, under an hour. */
  minutes: number;
  /** The event's `ce-source` ends in it; its `ce-id` starts with it. */
  label: string;
  /** What the run does, for the manifest's header. */
  about: string;
}

/** Seconds as whole minutes of a cron schedule: at least one, under an hour. */
function wholeMinutes(seconds: number, what: string): number {
  const minutes = Math.max(1, seconds / 60);
  if (!Number.isInteger(minutes) || minutes > 59) throw new Error(`the ${what} interval must be whole minutes, under an hour`);
  return minutes;
}

/** Every scheduled event: aggregation every 5 minutes (npm start's interval), webhook retries every minute (npm start's is shorter than cron allows). */
export function scheduledEvents(): ScheduledEvent[] {
  return [
    {
      name: 'aggregation-cron',
      container: 'request-aggregation',
      type: EventType.AggregationRequested,
      minutes: wholeMinutes(localDefaults.aggregationIntervalSeconds, 'aggregation'),
      label: 'aggregation',
      about: 'aggregates the usage committed since the last run',
    },
    {
      name: 'webhook-delivery-cron',
      container: 'request-webhook-delivery',
      type: EventType.WebhooksDeliveryDue,
      minutes: wholeMinutes(localDefaults.webhookRetryIntervalSeconds, 'webhook retry'),
      label: 'webhook-delivery',
      about: 'tries again every webhook message whose next attempt is due',
    },
  ];
}

/** The one function that handles a scheduled event's type (the registry says which). */
export function handlerOf(type: EventType): FunctionEntry {
  const handlers = functionRegistry.filter((entry: FunctionEntry) => entry.subscribes?.includes(type));
  if (handlers.length !== 1) throw new Error(`expected one function subscribed to ${type}, found ${handlers.length}`);
  return handlers[0]!;
}

/** The one function that handles the aggregation request. */
export function aggregationFunction(): FunctionEntry {
  return handlerOf(EventType.AggregationRequested);
}

/** A cron schedule every `minutes` minutes. */
export function cronSchedule(minutes: number): string {
  return minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`;
}

/**
 * A shell script that POSTs the scheduled event in binary mode to `target`
 * (a shell word), with an id of its own on every run.
 */
export function scheduledEventScript(scheduled: ScheduledEvent, target: string, source: string): string {
  return [
    `curl -fsS --max-time 300 --retry 3 --retry-all-errors -X POST ${target} \\`,
    `  -H 'ce-specversion: 1.0' \\`,
    `  -H "ce-id: ${scheduled.label}-$(cat /proc/sys/kernel/random/uuid)" \\`,
    `  -H 'ce-source: ${source}' \\`,
    `  -H 'ce-type: ${scheduled.type}' \\`,
    `  -H "ce-time: $(date -u +%Y-%m-%dT%H:%M:%SZ)" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{}'`,
  ].join('\n');
}
