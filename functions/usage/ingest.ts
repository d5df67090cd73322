import { defineHttpFunction, maxBodyBytes } from '../../shared/runtime/index.js';
import { usageContext } from './context.js';
import { decodeIngestRequest, ingestResponse, registerIngestParsers } from './ingest-body.js';

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * `POST /ingest` with `X-API-Key`: one event, an array, or CloudEvents.
 * A 2xx answer means the events are committed.
 */
export default defineHttpFunction({
  context: usageContext,
  routes(app, { usage, authenticator, rateLimiter }) {
    registerIngestParsers(app);
    app.post('/ingest', { bodyLimit: maxBodyBytes }, async (request, reply) => {
      const apiKey = header(request.headers['x-api-key']);
      if (apiKey) rateLimiter?.take(apiKey);
      const tenant = await authenticator.authenticate(apiKey);
      const decoded = decodeIngestRequest(request.headers['content-type'], request.body, header(request.headers['idempotency-key']));
      const outcomes = await usage.record(tenant.organizationId, decoded.items, decoded.names);
      const { status, body } = ingestResponse(decoded.batch, outcomes);
      return reply.code(status).send(body);
    });
  },
});
