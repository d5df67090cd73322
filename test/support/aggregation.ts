/** Aggregation as the tests drive it, without the delivery process. */
import { CloudEvent } from 'cloudevents';
import type { TestHost } from './host.js';
import { readStream, waitForStream } from './nats.js';

/**
 * One aggregation run for an organization, then its aggregate.updated events
 * handed to billing as the delivery process does (the delivery itself is
 * tested on its own).
 */
export async function aggregateAndDeliver(host: TestHost, orgId: string): Promise<void> {
  const seen = new Set((await readStream(host.natsUrl, host.stream.stream)).map((e) => e.event.id));
  await host.dispatch(new CloudEvent({ type: 'dev.polaris.aggregation.requested', source: '/test', data: { orgId } }));
  const isNewUpdate = (e: { event: { id: string; type: string } }) => !seen.has(e.event.id) && e.event.type === 'dev.polaris.aggregate.updated';
  const events = await waitForStream(host.natsUrl, host.stream.stream, (all) => all.some(isNewUpdate));
  for (const stored of events.filter(isNewUpdate)) await host.dispatch(new CloudEvent(stored.event as never));
}
