/**
 * What every HTTP server of the runtime answers alike, with Fastify
 * (shared/runtime/http.ts) or without it (shared/runtime/event-server.ts):
 * the body limit, the error body, the request-duration metric.
 */
import type { IncomingMessage } from 'node:http';
import { Histogram, type Registry } from 'prom-client';
import { httpStatusByKind, toPublicError, ValidationError, type FieldProblem } from '../errors.js';

/** Bodies larger than this are refused with 413 before they are parsed. */
export const maxBodyBytes = 1024 * 1024;

/** The 413 answer's message. */
export const bodyTooLargeMessage = `body is larger than ${maxBodyBytes} bytes`;

/**
 * How much of a body that is refused unread (413, 415) is read and dropped
 * before the answer goes out. A client still sending its body reads no answer
 * until the body is out: closing the connection under it fails the request
 * (Node's fetch: EPIPE, "other side closed") instead of showing the status.
 * A larger body, or one slower than this, gets the answer at once and the
 * connection closed, as before.
 */
export const refusedBodyDrain = {
  /** Bytes read at most: 8 MiB. */
  maxBytes: 8 * 1024 * 1024,
  /** Milliseconds waited at most. */
  timeoutMs: 5_000,
} as const;

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; fields?: readonly FieldProblem[] };
}

/** The status and body for an error of Polaris's own or any other: client mistakes named, the rest generic. */
export function publicErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  const error = toPublicError(err);
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error instanceof ValidationError) body.error.fields = error.problems;
  return { status: httpStatusByKind[error.kind], body };
}

/** The histogram of request durations every HTTP server reports (health and metrics routes not counted). */
export function requestDurations(registry: Registry): Histogram<'method' | 'route' | 'status'> {
  return new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
}

/** Reads and drops what is left of a request's body, within {@link refusedBodyDrain}. */
export function discardUnreadBody(request: IncomingMessage): Promise<void> {
  if (request.complete || Number(request.headers['content-length']) > refusedBodyDrain.maxBytes) return Promise.resolve();
  return new Promise((resolve) => {
    let received = 0;
    const done = () => {
      clearTimeout(timer);
      request.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > refusedBodyDrain.maxBytes) done();
    };
    const timer = setTimeout(done, refusedBodyDrain.timeoutMs);
    request.on('data', onData).once('end', done).once('close', done).once('error', done);
    request.resume();
  });
}
