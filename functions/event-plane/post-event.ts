/**
 * One CloudEvent POSTed over HTTP, as both HTTP targets of the event plane
 * send them: the local delivery to a function, and the cluster's outbox relay
 * to its sink (the Knative Broker). Only a 2xx answer counts; the answer's
 * body is discarded, and errors name the target and the status, never the
 * payload.
 */

/** The target did not take the event: it answered other than 2xx, did not answer in time, or could not be reached. */
export class EventPostError extends Error {
  override name = 'EventPostError';
  constructor(
    message: string,
    /** The target's HTTP status; undefined when there was no answer. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * POSTs `body` with `headers` to `url`; resolves once the target answered
 * 2xx. `target` names it in errors ("poisoned answered 500").
 *
 * @throws EventPostError
 */
export async function postEvent(target: string, url: string, headers: Record<string, string>, body: string | Uint8Array | undefined, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    if ((err as Error | null)?.name === 'TimeoutError') throw new EventPostError(`${target} did not answer within ${timeoutMs} ms`, undefined, { cause: err });
    // undici reports the reason (ECONNREFUSED, ENOTFOUND, …) as the cause.
    const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
    throw new EventPostError(`${target} could not be reached${typeof code === 'string' ? ` (${code})` : ''}`, undefined, { cause: err });
  }
  // Frees the connection for the next event; what the target answered is not needed.
  await response.body?.cancel().catch(() => undefined);
  if (!response.ok) throw new EventPostError(`${target} answered ${response.status}`, response.status);
}
