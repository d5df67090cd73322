import type { FastifyReply, FastifyRequest } from 'fastify';
import { defineHttpFunction, defineServiceContext } from '../../shared/runtime/index.js';
import { forwardRoutes } from './forward.js';
import { loadDashboardPage, negotiateEncoding, type PageAsset } from './page.js';

/** The page's files, loaded once per process, and where the routes it calls are forwarded. */
export const dashboardContext = defineServiceContext({
  service: 'gateway',
  create: async ({ config }) => ({ page: await loadDashboardPage(), upstreams: config.dashboardUpstreams }),
});

/**
 * Same-origin scripts, styles and requests only: the page calls `/graphql`,
 * `/invoices/` and `/auth/oidc` on its own origin (forwarded by this
 * function where they are not served beside it), and no inline script or
 * style runs.
 */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `GET /dashboard`: the web page for organizations (usage, the draft invoice,
 * past invoices) and the operator (organizations, keys, plans, invoices). It
 * reads everything through the public GraphQL API at `/graphql`. With
 * POLARIS_GATEWAY_URL (and the invoice document's and sign-in's URLs) set,
 * as in the cluster, it forwards those routes there (./forward.ts).
 */
export default defineHttpFunction({
  context: dashboardContext,
  routes(app, { page, upstreams }) {
    forwardRoutes(app, upstreams);
    const serve = (name: string) => async (request: FastifyRequest, reply: FastifyReply) => {
      const asset = page.get(name);
      if (!asset) return reply.callNotFound();
      return sendAsset(request, reply, asset);
    };
    app.get('/dashboard', serve('index.html'));
    app.get('/dashboard/', serve('index.html'));
    app.get<{ Params: { file: string } }>('/dashboard/:file', (request, reply) =>
      // index.html is reached only as the page itself, so there is one address to cache.
      request.params.file === 'index.html' ? reply.callNotFound() : serve(request.params.file)(request, reply),
    );
  },
});

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: PageAsset) {
  reply
    .header('content-type', asset.contentType)
    .header('cache-control', asset.cacheControl)
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding')
    .header('content-security-policy', contentSecurityPolicy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  const encoding = negotiateEncoding(asset, request.headers['accept-encoding']);
  if (encoding) reply.header('content-encoding', encoding);
  return reply.send(encoding ? asset.encoded[encoding] : asset.body);
}
