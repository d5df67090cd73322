/**
 * Delivery over HTTP, as Knative's sources deliver: one POST per event to the
 * function's Service at `/`, in CloudEvents binary mode (`ce-*` headers, the
 * event's data as the body with its own content type).
 */
import { HTTP, type CloudEvent } from 'cloudevents';
import { types } from 'node:util';
import type { DeliverEvent } from './delivery.js';

/** Options of {@link httpDeliverer}. */
export interface HttpDelivererOptions {
  /**
   * Host, and port when it is not 80, of a function; `{name}` becomes its
   * registry name. In the cluster `{name}.polaris.svc.cluster.local`
   * (Knative Services answer on port 80). A path may follow, so one local
   * server can play several functions: `127.0.0.1:8089/{name}` posts to
   * `http://127.0.0.1:8089/<name>/`.
   */
  addressTemplate: string;
  /** Milliseconds to wait for the function's answer before the attempt counts as failed. Default 30 000. */
  timeoutMs?: number;
}

/** Defaults of {@link HttpDelivererOptions}. */
export const httpDelivererDefaults = {
  addressTemplate: '{name}.polaris.svc.cluster.local',
  timeoutMs: 30_000,
} as const;

/** A function did not take an event: it answered other than 2xx, did not answer in time, or could not be reached. */
export class DeliveryHttpError extends Error {
  override name = 'DeliveryHttpError';
  constructor(
    message: string,
    /** The function's HTTP status; undefined when there was no answer. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A {@link DeliverEvent} that POSTs each event in binary mode to
 * `http://<addressTemplate with {name} replaced>/`. The response body is
 * discarded; errors name the function and the status, never the payload.
 *
 * @throws Error when `addressTemplate` lacks `{name}`.
 */
export function httpDeliverer(options: HttpDelivererOptions): DeliverEvent {
  const { addressTemplate } = options;
  const timeoutMs = options.timeoutMs ?? httpDelivererDefaults.timeoutMs;
  if (!addressTemplate.includes('{name}')) throw new Error("httpDeliverer: addressTemplate must contain '{name}'");
  return async (functionName: string, event: CloudEvent<unknown>): Promise<void> => {
    const url = `http://${addressTemplate.replaceAll('{name}', functionName)}/`;
    const message = HTTP.binary(event);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: requestHeaders(message.headers),
        body: requestBody(message.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if ((err as Error | null)?.name === 'TimeoutError') {
        throw new DeliveryHttpError(`${functionName} did not answer within ${timeoutMs} ms`, undefined, { cause: err });
      }
      // undici reports the reason (ECONNREFUSED, ENOTFOUND, …) as the cause.
      const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
      throw new DeliveryHttpError(`${functionName} could not be reached${typeof code === 'string' ? ` (${code})` : ''}`, undefined, { cause: err });
    }
    // Frees the connection for the next event; what the function answered is not needed.
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) throw new DeliveryHttpError(`${functionName} answered ${response.status}`, response.status);
  };
}

function requestHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  // Extension attributes may be numbers or booleans; headers are strings.
  return Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, Array.isArray(value) ? value.join(',') : String(value)]])),
  );
}

/** The binary-mode body: JSON data arrives serialized, binary data as bytes, other values as JSON. */
function requestBody(body: unknown): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || types.isTypedArray(body)) return body as string | Uint8Array;
  return JSON.stringify(body);
}
