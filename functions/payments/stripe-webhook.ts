import { defineHttpFunction } from '../../shared/runtime/index.js';
import { paymentsContext } from './context.js';

/**
 * `POST /stripe/webhook`: Stripe's events about the invoices Polaris sent,
 * verified against STRIPE_WEBHOOK_SECRET (404 while it is unset). The body
 * is kept as the bytes Stripe signed: a parsed and re-serialized body would
 * not verify.
 */
export default defineHttpFunction({
  context: paymentsContext,
  routes(app, { webhooks }) {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.post('/stripe/webhook', async (request, reply) => {
      const signature = request.headers['stripe-signature'];
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      return reply.send(await webhooks.receive(body, Array.isArray(signature) ? signature[0] : signature));
    });
  },
});
