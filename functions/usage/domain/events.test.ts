import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { EventType, newEvent } from '../../../shared/events/index.js';
import { usageEventSource, usageRecorded } from './events.js';

describe('usageRecorded', () => {
  const event = {
    id: '019ad9f4-6f1b-7c2e-9a41-3c5d2e8f7a10',
    orgId: '019ad9f4-0000-7000-8000-000000000001',
    metric: 'api_calls',
    quantity: '12345678901234.123456789012',
    occurredAt: new Date('2026-12-01T13:15:00.123Z'),
  };

  it('writes exactly what the CloudEvents SDK writes for the same event', () => {
    const encoded = usageRecorded(event);
    const viaSdk = newEvent(
      EventType.UsageRecorded,
      usageEventSource,
      { orgId: event.orgId, metric: event.metric, quantity: event.quantity, occurredAt: '2026-12-01T13:15:00.123Z', eventId: event.id },
      { id: event.id, time: '2026-12-01T13:15:00.123Z', subject: event.orgId },
    );
    expect(encoded.body).toBe(JSON.stringify(viaSdk));
    expect(encoded).toMatchObject({ id: event.id, type: EventType.UsageRecorded });
  });

  it('escapes the metric, the one value a tenant named', () => {
    const decoded = JSON.parse(usageRecorded({ ...event, metric: 'a"b\\c' }).body) as { data: { metric: string } };
    expect(decoded.data.metric).toBe('a"b\\c');
  });

  it('is a valid CloudEvent 1.0 by the SDK, with the quantity as an exact string', () => {
    const decoded = new CloudEvent(JSON.parse(usageRecorded(event).body) as Record<string, unknown>, true);
    expect(decoded.validate()).toBe(true);
    expect(decoded.data).toMatchObject({ quantity: '12345678901234.123456789012', eventId: event.id });
  });
});
