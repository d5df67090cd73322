/**
 * Delivery over HTTP, as Knative's sources deliver: one POST per event to the
 * function's Service at `/`, in CloudEvents binary mode (`ce-*` headers, the
 * event's data as the body with its own content type).
 */
import { HTTP, type CloudEvent } from 'cloudevents';
import { types } from 'node:util';
import type { DeliverEvent } from './delivery.js';
import { postEvent } from './post-event.js';

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
    await postEvent(functionName, url, requestHeaders(message.headers), requestBody(message.body), timeoutMs);
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
