import { defineEventFunction } from '../../shared/runtime/index.js';
import { billingContext } from './context.js';

/**
 * The scheduled close: after each aggregation run (so the usage it counted
 * is priced first), finalizes the drafts whose period ended more than
 * POLARIS_INVOICE_GRACE_HOURS ago. Idempotent: a draft is finalized once.
 */
export default defineEventFunction({
  context: billingContext,
  async handle(_event, { billing }) {
    await billing.closeDue();
  },
});
