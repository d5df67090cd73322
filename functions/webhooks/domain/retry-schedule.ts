/**
 * When a message that was not delivered is tried again: after 5 s, 1 min,
 * 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (27.6 hours after the first try in
 * all, so a receiver down for a day still gets it), then never: the message
 * has failed. The schedule lives in PostgreSQL as each message's
 * next_attempt_at, so restarts and scaling to zero lose nothing.
 */
export const defaultRetryDelaysMs: readonly number[] = [5, 60, 300, 1_800, 7_200, 18_000, 36_000, 36_000].map((seconds) => seconds * 1000);

/**
 * Milliseconds from a failed attempt to the next, given the attempts made so
 * far (the failed one included); undefined when the schedule is used up.
 */
export function retryDelayMs(attemptsMade: number, delaysMs: readonly number[] = defaultRetryDelaysMs): number | undefined {
  return attemptsMade >= 1 ? delaysMs[attemptsMade - 1] : delaysMs[0];
}
