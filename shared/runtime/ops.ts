/**
 * The operational routes every function answers, whatever its transport:
 * `GET /health/liveness`, `GET /health/readiness`, `GET /metrics`. Written
 * against node:http so gRPC bundles need no web framework.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface OpsOptions {
  metrics: Registry;
  /** Rejects when the process should not receive traffic. */
  readiness(): Promise<void>;
}

export interface OpsResponse {
  status: number;
  contentType: string;
  body: string;
}

export const opsPaths = ['/health/liveness', '/health/readiness', '/metrics'] as const;

/** The answer for an ops path, or undefined when `path` is not one. */
export async function opsResponse(path: string, options: OpsOptions): Promise<OpsResponse | undefined> {
  const json = (status: number, value: object) => ({ status, contentType: 'application/json', body: JSON.stringify(value) });
  switch (path) {
    case '/health/liveness':
      return json(200, { status: 'alive' });
    case '/health/readiness':
      try {
        await options.readiness();
        return json(200, { status: 'ready' });
      } catch {
        return json(503, { status: 'not ready' });
      }
    case '/metrics':
      return { status: 200, contentType: options.metrics.contentType, body: await options.metrics.metrics() };
    default:
      return undefined;
  }
}

/** A node:http handler serving only the ops routes (404 for anything else). */
export function opsRequestHandler(options: OpsOptions): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    const answer = request.method === 'GET' ? opsResponse(path, options) : Promise.resolve(undefined);
    answer.then(
      (found) => {
        const { status, contentType, body } = found ?? {
          status: 404,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'route_not_found', message: `no route ${request.method} ${path}` } }),
        };
        response.writeHead(status, { 'content-type': contentType }).end(body);
      },
      () => response.writeHead(500).end(),
    );
  };
}
