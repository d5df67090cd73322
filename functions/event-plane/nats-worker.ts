/**
 * What the event plane's NATS workers (the outbox relay, event delivery) have
 * in common: a connection that may come late (NATS down at start-up) without
 * holding up `stop()`; the JetStream streams they need, ensured once per
 * connection and again after a reconnect, since the server may come back
 * without its store; pauses that `stop()` and `wake()` cut short; and backoff
 * after failures.
 */
import { ErrorCode, Events, NatsError, type NatsConnection } from 'nats';
import { ensureStream, type StreamSpec } from '../../shared/events/index.js';
import type { Logger } from '../../shared/logger.js';

/** What every NATS worker is given. */
export interface NatsWorkerOptions {
  /**
   * The NATS connection, e.g. the runtime's. It may take long to resolve (NATS
   * down at start-up); the worker waits without blocking `start()` or `stop()`.
   * A connection that reconnects for ever (`maxReconnectAttempts: -1`) lets the
   * worker resume as soon as NATS is back.
   */
  nats: () => Promise<NatsConnection>;
  logger: Logger;
}

/** Thrown by {@link NatsWorker.connection} once `stop()` was called. */
export class WorkerStoppedError extends Error {
  override name = 'WorkerStoppedError';
  constructor() {
    super('stopped');
  }
}

/** Doubling from `initialMs` after each consecutive failure, at most `maxMs`. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** Milliseconds to wait after `failures` consecutive failures (1 or more). */
export function backoffDelay(backoff: Backoff, failures: number): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, failures - 1));
}

export abstract class NatsWorker {
  /** True once `stop()` was called. */
  protected stopping = false;
  private signalStop!: () => void;
  private readonly stopSignal = new Promise<undefined>((resolve) => (this.signalStop = () => resolve(undefined)));
  /** The pauses under way (one per loop a worker runs). */
  private readonly pauses = new Set<() => void>();
  /** The connection whose reconnects are watched, and how to stop watching. */
  private watched: { nc: NatsConnection; stop(): void } | undefined;
  /** The stream checks on the current connection, shared by callers at the same time. */
  private streams: { nc: NatsConnection; ready: Promise<void> } | undefined;

  constructor(
    private readonly natsOptions: NatsWorkerOptions,
    /** The streams this worker needs before it works. */
    private readonly streamSpecs: readonly StreamSpec[],
  ) {}

  /** Runs after a reconnect, once the streams are marked to be ensured again. */
  protected abstract reconnected(): void;

  /**
   * The NATS connection, watched for reconnects.
   *
   * @throws WorkerStoppedError when `stop()` is called while waiting for it; NatsError when it is closed.
   */
  protected async connection(): Promise<NatsConnection> {
    const nc = await Promise.race([this.natsOptions.nats(), this.stopSignal]);
    if (nc === undefined) throw new WorkerStoppedError();
    if (nc.isClosed()) throw NatsError.errorForCode(ErrorCode.ConnectionClosed);
    this.watch(nc);
    return nc;
  }

  /** Ensures this worker's streams on `nc`, once per connection (and again after {@link streamsLost} or a reconnect). */
  protected ensureStreams(nc: NatsConnection): Promise<void> {
    if (this.streams?.nc !== nc) {
      const ready = (async () => {
        for (const spec of this.streamSpecs) await ensureStream(nc, spec);
      })();
      const streams = { nc, ready };
      this.streams = streams;
      ready.catch(() => {
        if (this.streams === streams) this.streams = undefined;
      });
    }
    return this.streams.ready;
  }

  /** The streams may be gone (deleted, a new server): ensure them again before the next use. */
  protected streamsLost(): void {
    this.streams = undefined;
  }

  /** Ends every pause now and for good, and stops watching the connection. */
  protected signalStopping(): void {
    this.stopping = true;
    this.signalStop();
    this.wake();
    this.watched?.stop();
    this.watched = undefined;
  }

  /** Waits `ms`, or less when `stop()` or {@link wake} comes first. */
  protected pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pauses.add(done);
    });
  }

  /** Ends every pause under way now. */
  protected wake(): void {
    for (const done of [...this.pauses]) done();
  }

  protected get logger(): Logger {
    return this.natsOptions.logger;
  }

  private watch(nc: NatsConnection): void {
    if (this.watched?.nc === nc) return;
    this.watched?.stop();
    const statuses = nc.status() as AsyncIterable<{ type: string; data: unknown }> & { stop?: () => void };
    const watched = { nc, stop: () => statuses.stop?.() };
    this.watched = watched;
    void (async () => {
      for await (const status of statuses) {
        if (this.watched !== watched) break;
        if (status.type !== Events.Reconnect) continue;
        this.streamsLost();
        this.reconnected();
      }
    })().catch(() => undefined);
  }
}
