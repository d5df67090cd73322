/**
 * Load at a fixed rate, open loop: request i is due at start + i / rate and
 * its latency counts from then, not from when a connection came free, so a
 * server that falls behind shows it in full. autocannon's rate limit lets each
 * connection send its share of a second at once when the second starts; its
 * latencies measure those bursts (a bare route's p99 read 50–60 ms at 500/s).
 */
import { Agent, request as httpRequest } from 'node:http';
import type { Request } from 'autocannon';

export interface PacedResult {
  requests: number;
  rps: number;
  /** Milliseconds from due to answered. */
  latencies: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  /** The p99 of the requests due `afterMs` or later into the run, when asked for. */
  p99After?: number;
}

export async function pacedLoad(options: { url: string; request: Request; rate: number; durationSeconds: number; connections: number; afterMs?: number }): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const target = new URL(options.request.path ?? '/', options.url);
  const body = options.request.body === undefined ? undefined : Buffer.from(String(options.request.body));
  const total = Math.round(options.rate * options.durationSeconds);
  const latencies: number[] = [];
  /** Latencies of the requests due `afterMs` or later. */
  const later: number[] = [];
  let non2xx = 0;
  let errors = 0;

  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const req = httpRequest(target, { method: options.request.method ?? 'GET', headers: { ...options.request.headers, ...(body ? { 'content-length': body.length } : {}) }, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          const latency = performance.now() - due;
          latencies.push(latency);
          if (options.afterMs !== undefined && due - started >= options.afterMs) later.push(latency);
          if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) non2xx += 1;
          resolve();
        });
      });
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(body);
    });

  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let sent = 0; sent < total; ) {
    const now = performance.now();
    // Everything due by now goes out; then sleep until the next is due.
    while (sent < total && started + (sent * 1000) / options.rate <= now) inFlight.push(send(started + (sent++ * 1000) / options.rate));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (sent * 1000) / options.rate - performance.now())));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const all = quantiles(latencies);
  return {
    requests: latencies.length,
    rps: latencies.length / seconds,
    latencies: { p50: all(0.5), p90: all(0.9), p99: all(0.99), max: all(1) },
    non2xx,
    errors,
    ...(later.length > 0 && { p99After: quantiles(later)(0.99) }),
  };
}

/** The values' quantiles, in milliseconds to a tenth; the values sorted once. */
function quantiles(values: number[]): (q: number) => number {
  const sorted = [...values].sort((a, b) => a - b);
  return (q) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
}
