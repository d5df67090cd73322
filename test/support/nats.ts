/** Reading what landed on a test's JetStream stream, and publishing onto it. */
import type { CloudEvent } from 'cloudevents';
import { connect, type JetStreamClient, type NatsConnection, type PubAck } from 'nats';
import { encodeCloudEvent, publishEncodedEvent, type EventStreamConfig } from '../../shared/events/index.js';

export interface StoredEvent {
  subject: string;
  msgId: string | undefined;
  contentType: string | undefined;
  event: { id: string; type: string; data: Record<string, unknown> } & Record<string, unknown>;
}

/** Every message on `stream` (optionally only subjects starting with `subjectPrefix`), oldest first. */
export async function readStream(natsUrl: string, stream: string, subjectPrefix?: string): Promise<StoredEvent[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream).catch(() => undefined);
    if (!info) return [];
    const events: StoredEvent[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
      if (!message || (subjectPrefix && !message.subject.startsWith(subjectPrefix))) continue;
      events.push({
        subject: message.subject,
        msgId: message.header?.get('Nats-Msg-Id') || undefined,
        contentType: message.header?.get('content-type') || undefined,
        event: JSON.parse(new TextDecoder().decode(message.data)),
      });
    }
    return events;
  } finally {
    await nc.close();
  }
}

/** Polls until `predicate` holds for the stream's events, or fails after `timeoutMs`. */
export async function waitForStream(
  natsUrl: string,
  stream: string,
  predicate: (events: StoredEvent[]) => boolean,
  timeoutMs = 10_000,
): Promise<StoredEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await readStream(natsUrl, stream);
    if (predicate(events)) return events;
    if (Date.now() > deadline) throw new Error(`stream ${stream}: condition not met within ${timeoutMs} ms (${events.length} events)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function deleteStream(natsUrl: string, stream: string): Promise<void> {
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ servers: natsUrl, timeout: 2000 });
    await (await nc.jetstreamManager()).streams.delete(stream);
  } catch {
    // already gone, or the server is not there any more
  } finally {
    await nc?.close();
  }
}

/** Publishes a CloudEvent straight onto a test's stream, as the outbox relay would. */
export function publishEvent(js: JetStreamClient, stream: EventStreamConfig, event: CloudEvent<unknown>): Promise<PubAck> {
  return publishEncodedEvent(js, stream, encodeCloudEvent(event));
}
