/** The CloudEvents Usage emits. */
import type { CloudEvent } from 'cloudevents';
import { EventType, newEvent, type AggregateUpdatedData, type UsageRecordedData } from '../../../shared/events/types.js';

export const usageEventSource = '/polaris/usage';

export interface RecordedEvent {
  id: string;
  orgId: string;
  metric: string;
  quantity: string;
  occurredAt: Date;
}

/** `dev.polaris.usage.recorded`; its id is the usage event's id, so JetStream drops re-publishes. */
export function usageRecorded(event: RecordedEvent): CloudEvent<UsageRecordedData> {
  return newEvent(
    EventType.UsageRecorded,
    usageEventSource,
    { orgId: event.orgId, metric: event.metric, quantity: event.quantity, occurredAt: event.occurredAt.toISOString(), eventId: event.id },
    { id: event.id, time: event.occurredAt.toISOString(), subject: event.orgId },
  );
}

export interface ChangedAggregate {
  orgId: string;
  metric: string;
  day: Date;
  total: string;
}

/** `dev.polaris.aggregate.updated`, one per changed (organization, metric, day). */
export function aggregateUpdated(aggregate: ChangedAggregate): CloudEvent<AggregateUpdatedData> {
  const { periodStart, periodEnd } = dayPeriod(aggregate.day);
  return newEvent(
    EventType.AggregateUpdated,
    usageEventSource,
    { orgId: aggregate.orgId, metric: aggregate.metric, periodStart, periodEnd, total: aggregate.total },
    { subject: aggregate.orgId },
  );
}

/** A UTC day as [midnight, next midnight) in RFC 3339. */
export function dayPeriod(day: Date): { periodStart: string; periodEnd: string } {
  const start = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  return { periodStart: start.toISOString(), periodEnd: new Date(start.getTime() + 86_400_000).toISOString() };
}
