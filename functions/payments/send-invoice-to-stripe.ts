import { defineEventFunction } from '../../shared/runtime/index.js';
import { paymentsContext } from './context.js';
import { invoiceIdOfEvent } from './wire.js';

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
    const invoiceId = invoiceIdOfEvent(event);
    const outcome = await sender.send(invoiceId);
    if (outcome !== 'stripe_off') logger.info({ invoiceId, outcome }, 'finalized invoice and Stripe');
  },
});
