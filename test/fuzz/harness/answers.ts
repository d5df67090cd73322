/**
 * A case's request as sent, and what every answer must satisfy: an error is
 * coded, and nothing leaks (stack frames, SQL, connection strings).
 */
import http from 'node:http';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** One keep-alive agent for every request of a file: node:http costs far less CPU per request than fetch. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * POSTs a body (no Content-Type unless given), answering the status, the raw
 * text and the parsed JSON (undefined when the body is not JSON).
 */
export function post(url: string, headers: Record<string, string>, body: string | Uint8Array): Promise<{ status: number; text: string; json: unknown }> {
  const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(payload.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, text, json: tryJson(text) });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(payload);
  });
}

/** Parses JSON or answers undefined. */
export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `{"error": {"code": <non-empty string>, "message": <string>, ...}}`. */
export function isCodedErrorBody(body: unknown): boolean {
  const error = (body as { error?: unknown } | null)?.error as { code?: unknown; message?: unknown } | undefined;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof error.code === 'string' &&
    error.code.length > 0 &&
    typeof error.message === 'string'
  );
}

/** An error object as found in per-item results: `{"code", "message"}`. */
export function isCodedError(error: unknown): boolean {
  return isCodedErrorBody({ error });
}

/** What must never reach a client: stack frames, SQL, connection strings. */
const leakPatterns: RegExp[] = [
  /\bat [^\n]*\.(?:ts|js|mjs|cjs):\d+/i, // a stack frame
  /\bat (?:async )?[\w$.<>]+ \(/, // "at fn (" frame without a file
  /node:internal/,
  /select /i,
  /insert into/i,
  /relation "/i,
  /postgres:\/\//i,
  /\bSQLSTATE\b|\bPostgresError\b/i,
];

/** The leak found in `text`, unless the request itself carried that text (an echo is no leak). */
export function findLeak(text: string, request: string): string | undefined {
  for (const pattern of leakPatterns) {
    const match = pattern.exec(text);
    if (match && !pattern.test(request)) return match[0];
  }
  return undefined;
}
