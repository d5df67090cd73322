/**
 * Unary gRPC calls at a fixed rate, open loop, as {@link pacedLoad} does for
 * HTTP: call i is due at start + i / rate and its latency counts from then,
 * so a server that falls behind shows it in full. Calls go round-robin over
 * a few channels (HTTP/2 connections), as several backends would send them.
 */
import * as grpc from '@grpc/grpc-js';
import type { PacedResult } from './paced.js';

export interface PacedGrpcOptions<Req> {
  address: string;
  method: grpc.MethodDefinition<Req, unknown>;
  request: Req;
  rate: number;
  durationSeconds: number;
  /** HTTP/2 connections the calls are spread over. */
  channels: number;
}

/** `non2xx` counts calls answered with a status other than OK; `errors` those that got no answer. */
export async function pacedGrpcLoad<Req>(options: PacedGrpcOptions<Req>): Promise<PacedResult> {
  // A local subchannel pool each, so every client gets a connection of its own.
  const clients = Array.from({ length: options.channels }, () => new grpc.Client(options.address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
  await Promise.all(clients.map((client) => new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 5000, (err) => (err ? reject(err) : resolve())))));
  const body = options.method.requestSerialize(options.request);
  const total = Math.round(options.rate * options.durationSeconds);
  const latencies: number[] = [];
  let notOk = 0;
  let errors = 0;

  const send = (client: grpc.Client, due: number) =>
    new Promise<void>((resolve) => {
      client.makeUnaryRequest(
        options.method.path,
        () => body, // serialized once: the load generator's CPU is not the server's
        (bytes: Buffer) => bytes,
        options.request,
        (err) => {
          latencies.push(performance.now() - due);
          if (err && err.code === grpc.status.UNAVAILABLE) errors += 1;
          else if (err) notOk += 1;
          resolve();
        },
      );
    });

  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let sent = 0; sent < total; ) {
    const now = performance.now();
    while (sent < total && started + (sent * 1000) / options.rate <= now) {
      inFlight.push(send(clients[sent % clients.length]!, started + (sent * 1000) / options.rate));
      sent += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (sent * 1000) / options.rate - performance.now())));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  for (const client of clients) client.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 10) / 10;
  return { requests: latencies.length, rps: latencies.length / seconds, latencies: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) }, non2xx: notOk, errors };
}
