import { defineEventFunction } from '../../shared/runtime/index.js';
import { webhooksContext } from './context.js';

/**
 * Turns an outbound event (invoices, usage thresholds, disabled endpoints)
 * into one message per enabled endpoint subscribed to it, and tries each
 * once. Redelivered events make no second message: the due run retries.
 */
export default defineEventFunction({
  context: webhooksContext,
  async handle(event, { webhooks }) {
    await webhooks.fanOut(event);
  },
});
