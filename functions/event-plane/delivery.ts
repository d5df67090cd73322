/**
 * Event delivery: from the JetStream event stream to the functions subscribed
 * to each event type. Event functions are Knative Services that scale to zero
 * and hold no subscription, so one always-on process consumes the stream with
 * a durable pull consumer per (function, type) and hands each event to the
 * function (over HTTP in binary mode, see `httpDeliverer`), as Knative's own
 * sources do.
 *
 * Delivery is at least once: a message is acked only after the function took
 * the event, retried with backoff when it did not, and after `maxDeliver`
 * attempts published to the dead-letter stream and terminated. A function can
 * therefore see an event twice (a lost ack, a crash mid-delivery) and must be
 * idempotent on the event id.
 */
import { createHash } from 'node:crypto';
import type { CloudEvent } from 'cloudevents';
import { AckPolicy, DeliverPolicy, headers, nanos, type Consumer, type ConsumerConfig, type ConsumerMessages, type JsMsg, type MsgHdrs, type NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { decodeCloudEvent, EventDecodeError, eventStreamSpec, subjectForEventType, type EventStreamConfig } from '../../shared/events/index.js';
import { deliveryMetrics, type DeliveryMetrics } from './delivery-metrics.js';
import { DeadLetterHeader, deadLetterErrorText, deadLetterStreamName, deadLetterStreamSpec, deadLetterSubject } from './dead-letter.js';
import { backoffDelay, NatsWorker, WorkerStoppedError, type NatsWorkerOptions } from './nats-worker.js';

/** A function and the CloudEvent types delivered to it. */
export interface EventSubscription {
  /** The function's registry name (its Knative Service), e.g. `aggregate`. */
  readonly name: string;
  /** The CloudEvent types it takes, e.g. `dev.polaris.aggregation.requested`. */
  readonly types: readonly string[];
}

/**
 * Hands one event to one function. Resolves when the function took it;
 * rejects (with a message that never carries the payload) when it did not.
 */
export type DeliverEvent = (functionName: string, event: CloudEvent<unknown>) => Promise<void>;

/** Options of {@link EventDelivery}. */
export interface EventDeliveryOptions extends NatsWorkerOptions {
  /** The event stream to consume; its dead letters go to `<stream>_DEAD_LETTER`. */
  stream: EventStreamConfig;
  /** Who takes which types (the event plane reads them from the registry). */
  subscriptions: readonly EventSubscription[];
  deliver: DeliverEvent;
  /** The registry the `polaris_delivery_*` metrics go to. */
  metrics: Registry;
  /** Attempts per event and function before it is dead-lettered. Default 8. */
  maxDeliver?: number;
  /**
   * Milliseconds to wait before the attempt after the n-th failed one
   * (`backoffMs[n - 1]`, the last entry repeating). Default 1 s, 2 s, 5 s, 10 s, 30 s, 60 s.
   */
  backoffMs?: readonly number[];
  /**
   * Milliseconds JetStream waits for an ack before it redelivers, i.e. how
   * soon the events a crashed process held go out again. A delivery that
   * takes longer is not redelivered meanwhile: the process tells JetStream it
   * is still working. Default 30 000.
   */
  ackWaitMs?: number;
  /** Messages in flight per consumer, i.e. per (function, type). Default 16. */
  concurrency?: number;
}

/** Defaults of {@link EventDeliveryOptions}. */
export const deliveryDefaults = {
  maxDeliver: 8,
  backoffMs: [1_000, 2_000, 5_000, 10_000, 30_000, 60_000],
  ackWaitMs: 30_000,
  concurrency: 16,
} as const;

/**
 * Milliseconds one pull request waits for messages. Short enough that freed
 * slots are refilled soon and that a lost pull (a reconnect) costs little;
 * long enough that idle consumers cost the server next to nothing.
 */
const FETCH_EXPIRES_MS = 5_000;

/** Pauses between attempts to (re)attach a consumer while NATS or JetStream is unavailable. */
const attachBackoff = { initialMs: 500, maxMs: 10_000 } as const;

/**
 * The durable consumer name of a (function, type) pair on a stream, e.g.
 * `polaris-aggregate-dev_polaris_aggregation_requested-1a2b3c4d`: readable,
 * valid for JetStream (no `.`, `*`, `>` or whitespace), and deterministic so
 * every replica and restart binds the same consumer. The hash of stream,
 * function and type keeps names distinct where the readable part is not
 * (`a-b` + `c` and `a` + `b-c`; `x.y` and `x_y`).
 */
export function durableConsumerName(stream: string, functionName: string, type: string): string {
  const readable = `polaris-${functionName}-${type}`.replace(/\./g, '_').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 160);
  const hash = createHash('sha256').update(`${stream}\n${functionName}\n${type}`).digest('hex').slice(0, 8);
  return `${readable}-${hash}`;
}

/** One durable consumer: the events of one type for one function. */
interface Binding {
  readonly functionName: string;
  readonly type: string;
  readonly subject: string;
  readonly durable: string;
  readonly labels: { function: string; type: string };
  consumer?: Consumer;
  /** The pull request being read, closed by `stop()`. */
  batch?: ConsumerMessages;
  inFlight: number;
  /** Wakes the loop waiting for a free slot. */
  slotFreed?: () => void;
}

/**
 * Consumes the event stream and delivers every event to each function
 * subscribed to its type, through one durable pull consumer per
 * (function, type): filter subject `<prefix>.<type>`, explicit ack, deliver
 * policy all (a new subscriber gets the events still on the stream).
 *
 * JetStream's own `max_deliver` is left unlimited: the attempts are counted
 * from each message's delivery count here, so a process that crashes during
 * the last attempt cannot make JetStream drop the event silently; the next
 * delivery finds the attempts used up and dead-letters it.
 */
export class EventDelivery extends NatsWorker {
  private readonly bindings: readonly Binding[];
  private readonly maxDeliver: number;
  private readonly backoffMs: readonly number[];
  private readonly ackWaitMs: number;
  private readonly concurrency: number;
  private readonly metrics: DeliveryMetrics;
  private readonly deadLetterStream: string;
  private readonly attached = new Set<Binding>();
  private readonly inFlight = new Set<Promise<void>>();
  private loops: Promise<void>[] = [];
  private stopped?: Promise<void>;
  /** The connection the consumers were attached with; messages are answered on it. */
  private nc?: NatsConnection;

  /**
   * @throws RangeError when an option is out of range; Error when a type cannot be a subject or a function name a subject token.
   */
  constructor(private readonly options: EventDeliveryOptions) {
    super(options, [eventStreamSpec(options.stream), deadLetterStreamSpec(options.stream)]);
    this.maxDeliver = options.maxDeliver ?? deliveryDefaults.maxDeliver;
    this.backoffMs = options.backoffMs ?? deliveryDefaults.backoffMs;
    this.ackWaitMs = options.ackWaitMs ?? deliveryDefaults.ackWaitMs;
    this.concurrency = options.concurrency ?? deliveryDefaults.concurrency;
    if (!Number.isInteger(this.maxDeliver) || this.maxDeliver < 1) throw new RangeError('maxDeliver must be a whole number of at least 1');
    if (this.backoffMs.length === 0 || this.backoffMs.some((ms) => !(ms >= 0))) throw new RangeError('backoffMs must list at least one delay ≥ 0');
    if (!(this.ackWaitMs >= 1_000)) throw new RangeError('ackWaitMs must be at least 1000');
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new RangeError('concurrency must be a whole number of at least 1');
    this.deadLetterStream = deadLetterStreamName(options.stream);
    this.metrics = deliveryMetrics(options.metrics);

    const seen = new Set<string>();
    const bindings: Binding[] = [];
    for (const { name, types } of options.subscriptions) {
      deadLetterSubject(options.stream, name); // validates the name as a subject token
      for (const type of types) {
        if (seen.has(`${name}\n${type}`)) continue;
        seen.add(`${name}\n${type}`);
        const labels = { function: name, type };
        bindings.push({
          functionName: name,
          type,
          subject: subjectForEventType(options.stream, type),
          durable: durableConsumerName(options.stream.stream, name, type),
          labels,
          inFlight: 0,
        });
        // Zeros from the start, so a rate over the first event is not lost.
        this.metrics.delivered.inc(labels, 0);
        this.metrics.failures.inc(labels, 0);
        this.metrics.deadLettered.inc(labels, 0);
      }
    }
    this.bindings = bindings;
  }

  /** The durable consumers, one per (function, type), by name. */
  get consumers(): readonly { functionName: string; type: string; durable: string; subject: string }[] {
    return this.bindings.map(({ functionName, type, durable, subject }) => ({ functionName, type, durable, subject }));
  }

  /**
   * Starts consuming and returns at once. Streams and consumers are created
   * (idempotently) as soon as NATS answers, and again whenever a consumer is
   * lost (a NATS restart without its store, an operator deleting it).
   * Calling it again, or after `stop()`, does nothing.
   */
  start(): void {
    if (this.loops.length > 0 || this.stopping) return;
    this.loops = this.bindings.map((binding) => this.consume(binding));
  }

  /** Resolves when every consumer is attached; rejects otherwise (for a readiness check). */
  async ready(): Promise<void> {
    if (this.stopping) throw new Error('event delivery is stopping');
    if (this.attached.size < this.bindings.length) {
      throw new Error(`event delivery: ${this.attached.size} of ${this.bindings.length} consumers attached`);
    }
  }

  /**
   * Stops taking messages (those already pulled but not started are handed
   * back to JetStream at once) and resolves when every delivery in flight has
   * finished and been acked or nak'ed. Does not close the NATS connection.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.signalStopping();
      for (const binding of this.bindings) {
        binding.slotFreed?.();
        void binding.batch?.close().catch(() => undefined);
      }
      await Promise.allSettled(this.loops);
      await Promise.allSettled([...this.inFlight]);
    })();
    return this.stopped;
  }

  /** The pull loop of one consumer: attach, pull as many messages as there are free slots, repeat. */
  private async consume(binding: Binding): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        await this.freeSlot(binding);
        // A local: a reconnect may clear binding.consumer while this pull is open.
        const consumer = (binding.consumer ??= await this.attach(binding));
        const batch = await consumer.fetch({ max_messages: this.concurrency - binding.inFlight, expires: FETCH_EXPIRES_MS });
        binding.batch = batch;
        if (this.stopping) void batch.close().catch(() => undefined);
        for await (const msg of batch) {
          // Pulled after stop(): hand it back for another replica or the next start.
          if (this.stopping) msg.nak();
          else this.track(binding, msg);
        }
        if (failures > 0) this.logger.info({ consumer: binding.durable }, 'event delivery resumed');
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        binding.consumer = undefined;
        this.attached.delete(binding);
        // One warning per outage, not one per retry.
        failures++;
        this.logger[failures === 1 ? 'warn' : 'debug']({ err, consumer: binding.durable }, 'event delivery: consumer unavailable, re-attaching');
        await this.pause(backoffDelay(attachBackoff, failures));
      } finally {
        binding.batch = undefined;
      }
    }
  }

  /** Ensures both streams and this binding's consumer, and returns the consumer. */
  private async attach(binding: Binding): Promise<Consumer> {
    const nc = await this.connection();
    await this.ensureStreams(nc);
    this.nc = nc;
    const jsm = await nc.jetstreamManager();
    // Creating a durable that exists with this config returns it; with another
    // config (a new ackWaitMs) the server updates it in place.
    await jsm.consumers.add(this.options.stream.stream, this.consumerConfig(binding));
    const consumer = await nc.jetstream().consumers.get(this.options.stream.stream, binding.durable);
    this.attached.add(binding);
    if (this.attached.size === this.bindings.length) {
      this.logger.info({ stream: this.options.stream.stream, consumers: this.bindings.length }, 'event delivery attached');
    }
    return consumer;
  }

  private consumerConfig(binding: Binding): Partial<ConsumerConfig> {
    return {
      durable_name: binding.durable,
      description: `Polaris delivery of ${binding.type} to ${binding.functionName}`,
      filter_subject: binding.subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // Unlimited: the attempts are counted here (see the class comment).
      max_deliver: -1,
      ack_wait: nanos(this.ackWaitMs),
    };
  }

  /**
   * Re-attaches every consumer after a reconnect. The server may have come
   * back without its store (streams and consumers gone), and an open pull
   * request would only notice when it expires.
   */
  protected override reconnected(): void {
    this.logger.info('event delivery: NATS reconnected, re-attaching consumers');
    for (const binding of this.bindings) {
      binding.consumer = undefined;
      this.attached.delete(binding);
      void binding.batch?.close().catch(() => undefined);
    }
  }

  private async freeSlot(binding: Binding): Promise<void> {
    while (binding.inFlight >= this.concurrency && !this.stopping) {
      await new Promise<void>((resolve) => (binding.slotFreed = resolve));
    }
    if (this.stopping) throw new WorkerStoppedError();
  }

  private track(binding: Binding, msg: JsMsg): void {
    binding.inFlight++;
    const handled: Promise<void> = this.handle(binding, msg)
      .catch((err: unknown) => this.logger.error({ err, consumer: binding.durable }, 'event delivery: message handling failed'))
      .finally(() => {
        binding.inFlight--;
        this.inFlight.delete(handled);
        binding.slotFreed?.();
      });
    this.inFlight.add(handled);
  }

  /** Delivers one message, then acks, naks with backoff, or dead-letters it. */
  private async handle(binding: Binding, msg: JsMsg): Promise<void> {
    // nats.js fills both from the ack subject's delivery count: 1 on the first delivery.
    const attempt = msg.info.deliveryCount;
    let event: CloudEvent<unknown>;
    try {
      event = decodeCloudEvent(msg);
      if (event.type !== binding.type) throw new EventDecodeError(`event type '${event.type}' does not match its subject`);
    } catch (err) {
      await this.deadLetter(binding, msg, { attempts: 0, error: err });
      return;
    }
    if (attempt > this.maxDeliver) {
      // The attempts were used up before (a crash during the last one, a lost dead-letter publish).
      await this.deadLetter(binding, msg, { eventId: event.id, attempts: this.maxDeliver, error: 'attempts used up' });
      return;
    }

    // Keeps JetStream from redelivering while the function is still working on it.
    const progress = setInterval(() => msg.working(), Math.max(500, this.ackWaitMs / 2));
    const stopTimer = this.metrics.duration.startTimer({ function: binding.functionName });
    try {
      await this.options.deliver(binding.functionName, event);
    } catch (err) {
      stopTimer();
      this.metrics.failures.inc(binding.labels);
      if (attempt >= this.maxDeliver) {
        await this.deadLetter(binding, msg, { eventId: event.id, attempts: attempt, error: err });
        return;
      }
      const delayMs = this.backoffFor(attempt);
      this.logger.warn(
        { function: binding.functionName, type: binding.type, eventId: event.id, attempt, retryInMs: delayMs, error: deadLetterErrorText(err) },
        'event delivery failed, will retry',
      );
      msg.nak(delayMs);
      return;
    } finally {
      clearInterval(progress);
    }
    stopTimer();
    this.metrics.delivered.inc(binding.labels);
    msg.ack();
  }

  /** Milliseconds before the attempt after the `attempt`-th failed one. */
  private backoffFor(attempt: number): number {
    return this.backoffMs[Math.min(attempt - 1, this.backoffMs.length - 1)]!;
  }

  /**
   * Publishes the message to the dead-letter stream and terminates it. When
   * the publish fails the message is nak'ed with backoff, so the next
   * delivery tries again: an event is never dropped without its dead letter.
   */
  private async deadLetter(binding: Binding, msg: JsMsg, details: { eventId?: string; attempts: number; error: unknown }): Promise<void> {
    const { stream } = this.options;
    const error = deadLetterErrorText(details.error);
    const h = headers();
    for (const [name, values] of msg.headers ?? ([] as Iterable<[string, string[]]>)) {
      if (name.toLowerCase().startsWith('nats-')) continue;
      for (const value of values) h.append(name, value);
    }
    h.set(DeadLetterHeader.Function, binding.functionName);
    h.set(DeadLetterHeader.Attempts, String(details.attempts));
    h.set(DeadLetterHeader.Error, error);
    h.set(DeadLetterHeader.Subject, msg.subject);
    h.set(DeadLetterHeader.Sequence, String(msg.seq));
    const msgId = `${details.eventId ?? originalMessageId(msg.headers) ?? `${stream.stream}:${msg.seq}`}:${binding.functionName}`;
    const log = { function: binding.functionName, type: binding.type, eventId: details.eventId, sequence: msg.seq, attempts: details.attempts, error };
    try {
      // Set: a message arrives only on an attached consumer.
      const ack = await this.nc!.jetstream().publish(deadLetterSubject(stream, binding.functionName), msg.data, {
        msgID: msgId,
        headers: h,
        expect: { streamName: this.deadLetterStream },
      });
      // A duplicate is a re-dead-letter (a lost term): already counted.
      if (!ack.duplicate) {
        this.metrics.deadLettered.inc(binding.labels);
        this.logger.error(log, 'event dead-lettered');
      }
    } catch (err) {
      const delayMs = this.backoffFor(Math.max(1, msg.info.deliveryCount));
      this.logger.error({ ...log, err, retryInMs: delayMs }, 'event delivery: could not dead-letter, will retry');
      // In case an operator deleted the dead-letter stream: ensure it again before the retry.
      this.streamsLost();
      void this.ensureStreams(this.nc!).catch(() => undefined);
      msg.nak(delayMs);
      return;
    }
    msg.term();
  }
}

function originalMessageId(hdrs: MsgHdrs | undefined): string | undefined {
  return hdrs?.get('Nats-Msg-Id') || undefined;
}
