/**
 * The cluster's dead-letter sink: every Trigger's `delivery.deadLetterSink`
 * POSTs here an event its function did not take within its attempts, and it
 * lands in the same dead-letter stream, with the same headers, as under
 * `npm start` (./dead-letter.ts): one place, `<stream>_DEAD_LETTER`, where an
 * operator reads dead letters (`nats stream view`) wherever Polaris runs.
 *
 * The Trigger names the function in the sink's address
 * (`/dead-letters?function=<name>&attempts=<n>`); Knative adds to the event
 * why it failed, as the extensions `knativeerrordest`, `knativeerrorcode`
 * and `knativeerrordata` (the answer's body, base64). Those become the
 * {@link DeadLetterHeader.Error} header and are dropped from the stored
 * event, which is the original one, id and all.
 */
import { CloudEvent, HTTP } from 'cloudevents';
import { headers, type NatsConnection } from 'nats';
import { CloudEventsMediaType, cloudEventProblem } from '../../shared/cloudevents.js';
import { ensureStream, type EventStreamConfig } from '../../shared/events/index.js';
import { DeadLetterHeader, deadLetterErrorText, deadLetterStreamName, deadLetterStreamSpec, deadLetterSubject } from './dead-letter.js';

/** The path the sink answers on. */
export const deadLetterSinkPath = '/dead-letters';

/** The sink's address relative to its Service, as a Trigger's `deadLetterSink.uri` names it. */
export function deadLetterSinkUri(functionName: string, attempts: number): string {
  return `${deadLetterSinkPath}?${new URLSearchParams({ function: functionName, attempts: String(attempts) })}`;
}

/** A request the sink refuses: not a CloudEvent, or no function named. Answered 400 with this message. */
export class DeadLetterRequestError extends Error {
  override name = 'DeadLetterRequestError';
}

/** One dead letter, read from the sink's request. */
export interface ReceivedDeadLetter {
  functionName: string;
  attempts: number;
  /** The original event, without Knative's error extensions. */
  event: CloudEvent<unknown>;
  /** Why delivery failed, one line. */
  error: string;
}

/**
 * Reads a dead-lettered CloudEvent (binary or structured mode) and the
 * function the sink's query names.
 *
 * @throws DeadLetterRequestError naming what is wrong.
 */
export function readDeadLetter(url: URL, requestHeaders: Record<string, string>, body: string): ReceivedDeadLetter {
  const functionName = url.searchParams.get('function') ?? '';
  if (!/^[A-Za-z0-9_-]+$/.test(functionName)) throw new DeadLetterRequestError("function: the query must name the function, e.g. '?function=aggregate'");
  const attempts = Number(url.searchParams.get('attempts') ?? '0');
  if (!Number.isInteger(attempts) || attempts < 0) throw new DeadLetterRequestError('attempts: must be a whole number');
  let received: CloudEvent<unknown>;
  try {
    const parsed = HTTP.toEvent({ headers: requestHeaders, body: body === '' ? undefined : body });
    if (Array.isArray(parsed)) throw new Error('a batch is not a dead letter');
    received = parsed as CloudEvent<unknown>;
    received.validate();
  } catch (err) {
    throw new DeadLetterRequestError(`cloudevent: ${cloudEventProblem(err)}`);
  }
  const { knativeerrordest: destination, knativeerrorcode: code, knativeerrordata: data, ...attributes } = received.toJSON() as Record<string, unknown>;
  const answer = typeof data === 'string' && data !== '' ? Buffer.from(data, 'base64').toString('utf8') : '';
  const error = deadLetterErrorText(
    `${code === undefined ? 'no answer' : `answered ${String(code)}`}${destination === undefined ? '' : ` from ${String(destination)}`}${answer === '' ? '' : `: ${answer}`}`,
  );
  // Rebuilt without the error extensions: what is stored is the event the function did not take.
  const event = new CloudEvent<unknown>(attributes as ConstructorParameters<typeof CloudEvent>[0], false);
  return { functionName, attempts, event, error };
}

/**
 * Stores dead letters in `<stream>_DEAD_LETTER`, ensuring that stream once
 * per connection. The message id is `<event id>:<function>`, as local
 * delivery's, so a dead letter sent twice (a lost answer) is stored once.
 */
export class DeadLetterStore {
  private ensured?: { nc: NatsConnection; ready: Promise<unknown> };

  constructor(
    private readonly nats: () => Promise<NatsConnection>,
    private readonly stream: EventStreamConfig,
  ) {}

  /** @returns false when the stream already had this dead letter. */
  async store(letter: ReceivedDeadLetter): Promise<boolean> {
    const nc = await this.nats();
    if (this.ensured?.nc !== nc) this.ensured = { nc, ready: ensureStream(nc, deadLetterStreamSpec(this.stream)) };
    try {
      await this.ensured.ready;
    } catch (err) {
      this.ensured = undefined;
      throw err;
    }
    const h = headers();
    h.set('content-type', CloudEventsMediaType.structured);
    h.set(DeadLetterHeader.Function, letter.functionName);
    h.set(DeadLetterHeader.Attempts, String(letter.attempts));
    h.set(DeadLetterHeader.Error, letter.error);
    try {
      const ack = await nc.jetstream().publish(deadLetterSubject(this.stream, letter.functionName), new TextEncoder().encode(JSON.stringify(letter.event.toJSON())), {
        msgID: `${letter.event.id}:${letter.functionName}`,
        headers: h,
        expect: { streamName: deadLetterStreamName(this.stream) },
      });
      return !ack.duplicate;
    } catch (err) {
      // The stream may be gone (an operator deleted it): ensure it again next time.
      this.ensured = undefined;
      throw err;
    }
  }
}
