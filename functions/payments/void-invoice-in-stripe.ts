import { defineEventFunction } from '../../shared/runtime/index.js';
import { paymentsContext } from './context.js';
import { invoiceIdOfEvent } from './wire.js';

/**
 * On `dev.polaris.invoice.voided`: the invoice's Stripe invoice is voided
 * (or its Stripe draft deleted), so the customer is no longer asked to pay
 * it. Acknowledged without a word to Stripe while Stripe is off, and for
 * invoices that never reached Stripe. A paid Stripe invoice is left paid:
 * a void refunds nothing.
 */
export default defineEventFunction({
  context: paymentsContext,
  async handle(event, { sender, logger }) {
    const invoiceId = invoiceIdOfEvent(event);
    const outcome = await sender.void(invoiceId);
    if (outcome !== 'stripe_off') logger.info({ invoiceId, outcome }, 'voided invoice and Stripe');
  },
});
