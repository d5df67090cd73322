import { ApiKeyScope } from '../../shared/grpc/index.js';
import { ForbiddenError } from '../../shared/errors.js';
import { defineHttpFunction, maxBodyBytes } from '../../shared/runtime/index.js';
import { usageContext } from './context.js';
import { decodeIngestRequest, ingestResponse, registerIngestParsers } from './ingest-body.js';
import { assignOrganizations } from './ingest-organizations.js';

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * `POST /ingest` with `X-API-Key` (INGEST, or a service key's INGEST_ANY):
 * one event, an array, or CloudEvents. A 2xx answer means the events are
 * committed, whichever organizations they are for.
 */
export default defineHttpFunction({
  context: usageContext,
  routes(app, { usage, authenticator, organizations, rateLimiter }) {
    registerIngestParsers(app);
    app.post('/ingest', { bodyLimit: maxBodyBytes }, async (request, reply) => {
      const apiKey = header(request.headers['x-api-key']);
      if (apiKey) rateLimiter?.take(apiKey);
      const tenant = await authenticator.authenticate(apiKey, { serviceKeys: true });
      if (!tenant.service && !tenant.scopes.includes(ApiKeyScope.Ingest)) {
        throw new ForbiddenError('this API key may not send usage: it lacks the INGEST scope', 'FORBIDDEN');
      }
      const decoded = decodeIngestRequest(request.headers['content-type'], request.body, header(request.headers['idempotency-key']));
      const items = await assignOrganizations(tenant, decoded, organizations);
      const outcomes = await usage.recordEach(items, decoded.names);
      const { status, body } = ingestResponse(decoded.batch, outcomes);
      return reply.code(status).send(body);
    });
  },
});
