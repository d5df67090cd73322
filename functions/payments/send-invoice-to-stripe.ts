import { Problems } from '../../shared/errors.js';
import { defineEventFunction } from '../../shared/runtime/index.js';
import { isUuid } from '../../shared/validation.js';
import { paymentsContext } from './context.js';

/**
 * On `dev.polaris.invoice.finalized`: the invoice becomes a Stripe invoice
 * with the same lines, then is emailed or charged as its organization's
 * link says. Acknowledged without a word to Stripe while Stripe is off, and
 * for organizations with no Stripe customer. Redelivery is safe: the steps
 * done are kept, and each request carries the same idempotency key again.
 */
export default defineEventFunction({
  context: paymentsContext,
  async handle(event, { sender, logger }) {
    const data = (event.data ?? {}) as { invoiceId?: unknown };
    const problems = new Problems();
    problems.check(typeof data.invoiceId === 'string' && isUuid(data.invoiceId), 'data.invoiceId', 'must be an invoice id (UUID)');
    problems.throwIfAny();
    const outcome = await sender.send((data.invoiceId as string).toLowerCase());
    if (outcome !== 'stripe_off') logger.info({ invoiceId: data.invoiceId, outcome }, 'finalized invoice and Stripe');
  },
});
