import { defineEventFunction } from '../../shared/runtime/index.js';
import { webhooksContext } from './context.js';

/**
 * The scheduled run (`dev.polaris.webhooks.delivery-due`, from the CronJob
 * every minute or `npm start`'s timer): tries again every message whose next
 * attempt is due.
 */
export default defineEventFunction({
  context: webhooksContext,
  async handle(_event, { webhooks }) {
    await webhooks.deliverDue();
  },
});
