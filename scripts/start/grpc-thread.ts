/**
 * `npm start`'s RPCs, on a worker thread of their own. In the cluster every
 * function is its own process; here the gRPC functions share a thread apart
 * from the HTTP ones, so a GraphQL request's gateway work and the RPCs it
 * makes run on two cores instead of queueing on one (at 500 GraphQL requests
 * a second one thread was saturated). The thread has its own runtime, pools
 * and service contexts, as a separate process would; its metrics are added
 * into the host's `/metrics`.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { AggregatorRegistry, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { loadFunction } from '../../functions/load.js';
import { functionRegistry } from '../../functions/registry.js';
import type { RuntimeConfig } from '../../shared/config.js';
import { createRuntime, type RunningServer, type Served, serveFunctions, startGrpcServer } from '../../shared/runtime/index.js';
import { moduleWorker } from '../local/module-worker.js';

export interface GrpcThreadOptions {
  config: RuntimeConfig;
  host: string;
  port: number;
}

type Metrics = MetricObjectWithValues<MetricValue<string>>[];

export interface GrpcThread {
  /** The port bound. */
  port: number;
  /** The thread's metrics, for {@link addThreadMetrics}. */
  metrics(): Promise<Metrics>;
  /** Stops accepting RPCs, lets those in flight finish (up to the grace period), and ends the thread. */
  close(): Promise<void>;
}

type Request = { id: number; kind: 'metrics' | 'close' };
type Reply = { id: number; result?: unknown; error?: string } | { started: number } | { failed: string };

/** Starts every gRPC function of the registry on a thread; resolves once it listens. A crash after that goes to `onCrash`. */
export function startGrpcThread(options: GrpcThreadOptions, onCrash: (err: Error) => void): Promise<GrpcThread> {
  // The thread runs this same file.
  const worker = moduleWorker(import.meta.url, { grpcThread: options });
  const pending = new Map<number, { resolve(result: unknown): void; reject(err: Error): void }>();
  let nextId = 0;
  let closing = false;
  const call = (kind: Request['kind']) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, kind } satisfies Request);
    });

  return new Promise((resolve, reject) => {
    let started = false;
    worker.on('message', (reply: Reply) => {
      if ('started' in reply) {
        started = true;
        resolve({
          port: reply.started,
          metrics: () => call('metrics') as Promise<Metrics>,
          async close() {
            closing = true;
            await call('close');
          },
        });
      } else if ('failed' in reply) {
        reject(new Error(reply.failed));
      } else {
        const waiting = pending.get(reply.id);
        pending.delete(reply.id);
        if (reply.error === undefined) waiting?.resolve(reply.result);
        else waiting?.reject(new Error(reply.error));
      }
    });
    worker.on('error', (err) => (started ? onCrash(err) : reject(err)));
    worker.on('exit', (code) => {
      for (const waiting of pending.values()) waiting.reject(new Error(`gRPC thread exited (${code})`));
      pending.clear();
      if (!started) reject(new Error(`gRPC thread exited (${code}) before listening`));
      else if (!closing) onCrash(new Error(`gRPC thread exited (${code})`));
    });
  });
}

/**
 * Makes `registry`'s text output, which `/metrics` serves, the sum of its own
 * metrics and the thread's: counters and histograms of the same name (a
 * service's metrics exist on both threads) add up, as Prometheus would sum
 * two processes. The thread collects no process metrics: the host has those.
 */
export function addThreadMetrics(registry: Registry, thread: GrpcThread): void {
  registry.metrics = async () => {
    const [own, threads] = await Promise.all([registry.getMetricsAsJSON(), thread.metrics().catch(() => [])]);
    return AggregatorRegistry.aggregate([own, threads]).metrics();
  };
}

/** The thread's side: the gRPC functions, answering the host's requests until told to close. */
async function serveRpcs(options: GrpcThreadOptions, port: MessagePort): Promise<void> {
  const metrics = new Registry();
  metrics.setDefaultLabels({ service: options.config.service, revision: options.config.revision });
  const runtime = createRuntime(options.config, { metrics });
  let served: Served<[RunningServer]>;
  try {
    const entries = functionRegistry.filter((entry) => entry.kind === 'grpc');
    const functions = await Promise.all(entries.map(async (entry) => ({ entry, fn: await loadFunction(entry) })));
    served = await serveFunctions({
      runtime,
      functions,
      servers: [(shared) => startGrpcServer({ ...shared, host: options.host, port: options.port })],
    });
  } catch (err) {
    port.postMessage({ failed: (err as Error).message } satisfies Reply);
    return;
  }
  port.on('message', ({ id, kind }: Request) => {
    (kind === 'metrics' ? metrics.getMetricsAsJSON() : served.close()).then(
      (result) => {
        port.postMessage({ id, result } satisfies Reply);
        if (kind === 'close') port.close();
      },
      (err: unknown) => port.postMessage({ id, error: (err as Error).message } satisfies Reply),
    );
  });
  port.postMessage({ started: served.servers[0].port } satisfies Reply);
}

const threadOptions = (workerData as { grpcThread?: GrpcThreadOptions } | null)?.grpcThread;
if (!isMainThread && parentPort && threadOptions) await serveRpcs(threadOptions, parentPort);
