import { BillingService as BillingRpc, type Invoice } from '../../proto/gen/polaris/billing/v1/billing.js';
import { IdentityService, type Organization } from '../../proto/gen/polaris/identity/v1/identity.js';
import { ErrorKind, ForbiddenError, NotFoundError, PolarisError, UnauthenticatedError } from '../../shared/errors.js';
import { ExpiringCache } from '../../shared/expiring-cache.js';
import { organizationRateLimiterFrom, overridesFromMessage, RateLimitName } from '../../shared/rate-limits/index.js';
import { defineHttpFunction, defineServiceContext } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
// The gateway's credentials, checked the same way: its auth module needs jose and no GraphQL.
import { gatewayAuthFrom, type Caller } from '../gateway/auth.js';
import { invoiceFonts } from './invoice-fonts.js';
import { renderInvoicePdf } from './invoice-pdf.js';

/**
 * What the invoice document holds: gRPC clients for Billing's GetInvoice and
 * Identity's GetOrganization, the gateway's credential checks, and the
 * fonts' paths (checked on start). Every fact is an RPC; the database only
 * keeps the organizations' shared rate-limit buckets.
 */
export const invoiceDocumentContext = defineServiceContext({
  service: 'billing',
  create(runtime) {
    const { config, clients } = runtime;
    // Organizations never change once created (as in the gateway), so names are kept as long as an API key is.
    const organizations = new ExpiringCache<string, Organization>({ maxEntries: 10_000 });
    const organization = (organizationId: string) =>
      organizations.get(
        organizationId,
        async () => (await clients.call(IdentityService.getOrganization, { organizationId })).organization!,
        () => config.apiKeyCacheSeconds * 1000,
      );
    const auth = gatewayAuthFrom(config, clients, async (organizationId) => overridesFromMessage((await organization(organizationId)).limits));
    const seller = { name: config.sellerName, address: config.sellerAddress };
    const rateLimiter = organizationRateLimiterFrom(config, () => runtime.database(), { logger: runtime.logger, metrics: runtime.metrics });
    return { clients, auth, organization, seller, fonts: invoiceFonts(), rateLimiter };
  },
});

/** What a PDF costs against the organization's GraphQL limit: its rendering takes as long as some ten queries. */
const invoiceDocumentCost = 10;

/**
 * `GET /invoices/<id>.pdf`: the invoice as a PDF, for the organization it
 * belongs to (`X-API-Key`, or `Authorization: Bearer <JWT>`) and for the
 * operator (`Authorization: Bearer <admin token>`). Another organization's
 * invoice is as unknown as one that does not exist.
 */
export default defineHttpFunction({
  context: invoiceDocumentContext,
  routes(app, context) {
    app.get<{ Params: { file: string } }>('/invoices/:file', async (request, reply) => {
      const { file } = request.params;
      if (!file.endsWith('.pdf')) return reply.callNotFound();
      const caller = await context.auth.authenticate(request.headers);
      if (!caller) throw new UnauthenticatedError('send X-API-Key, or Authorization: Bearer <JWT or admin token>');
      // A document is GraphQL's to read too, and taken from the same limit, at the cost of the PDF's rendering.
      if (caller.kind === 'tenant' && context.rateLimiter) {
        await context.rateLimiter.take(caller.organizationId, caller.limits, RateLimitName.GraphqlCost, invoiceDocumentCost);
        await context.rateLimiter.waitForShare(reply.raw, caller.organizationId, caller.limits, RateLimitName.GraphqlCost);
      }
      // As the gateway's invoices: the read permission (functions/gateway/access.ts).
      if (caller.kind === 'service') throw new ForbiddenError('a service key may only POST /ingest');
      if (caller.kind === 'tenant' && !caller.permissions.has('read')) throw new ForbiddenError('needs the read permission in the organization');
      const invoice = await visibleInvoice(context, caller, requireUuid('id', file.slice(0, -'.pdf'.length)));
      const customer = await context.organization(invoice.organizationId);
      const pdf = await renderInvoicePdf({ invoice, customer, seller: context.seller, fonts: context.fonts });
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `inline; filename="${fileName(invoice)}"`)
        // A draft changes with usage, and an invoice is nobody else's business.
        .header('cache-control', 'private, no-store')
        .header('x-content-type-options', 'nosniff')
        .send(pdf);
    });
  },
});

type Context = Awaited<ReturnType<(typeof invoiceDocumentContext)['create']>>;

/** The invoice, when the caller may see it; the same NotFoundError whether it does not exist or is another organization's. */
async function visibleInvoice({ clients }: Context, caller: Caller, invoiceId: string): Promise<Invoice> {
  const notFound = new NotFoundError('invoice_not_found', `invoice ${invoiceId} does not exist`);
  let invoice: Invoice;
  try {
    invoice = (await clients.call(BillingRpc.getInvoice, { invoiceId })).invoice!;
  } catch (err) {
    if (err instanceof PolarisError && err.kind === ErrorKind.NotFound) throw notFound;
    throw err;
  }
  if (caller.kind === 'tenant' && caller.organizationId !== invoice.organizationId) throw notFound;
  return invoice;
}

/** `INV-000001.pdf`, or the id's for an invoice without a number; only characters safe in a header's quoted string. */
function fileName(invoice: Invoice): string {
  return `${(invoice.number || invoice.id).replace(/[^\w.-]/g, '-')}.pdf`;
}
