/**
 * What the payments functions share in one process: the store over one
 * pool, the Stripe client (none while STRIPE_SECRET_KEY is unset), and
 * Billing and Identity reached over gRPC. Billing owns invoices and their
 * payment status; payments only keeps what it sent to Stripe.
 */
import { Metadata } from '@grpc/grpc-js';
import { BillingService as BillingRpc, type Invoice } from '../../proto/gen/polaris/billing/v1/billing.js';
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import type { RuntimeConfig } from '../../shared/config.js';
import { ErrorKind, PolarisError } from '../../shared/errors.js';
import type { GrpcClients } from '../../shared/grpc/index.js';
import { defineServiceContext } from '../../shared/runtime/index.js';
import { InvoiceSender, PaymentsStore, StripeCustomers, StripeWebhooks, stripeClient, type InvoiceLedger, type IssuedInvoice } from './domain/index.js';

/**
 * SetInvoicePaymentStatus is the operator's (payments acts for it); the
 * audit log names the change `system`'s, as no person made it.
 */
function systemMetadata(config: Pick<RuntimeConfig, 'adminToken'>): Metadata {
  const metadata = new Metadata();
  if (config.adminToken) metadata.set('authorization', `Bearer ${config.adminToken}`);
  metadata.set('polaris-actor', 'system');
  return metadata;
}

const optionalDate = (text: string) => (text ? new Date(text) : undefined);

function issuedInvoice(invoice: Invoice): IssuedInvoice {
  return {
    id: invoice.id,
    orgId: invoice.organizationId,
    status: invoice.status,
    number: invoice.number,
    currency: invoice.currency,
    amount: invoice.amount,
    periodStart: new Date(invoice.periodStart),
    periodEnd: new Date(invoice.periodEnd),
    lines: invoice.lineItems.map((line) => {
      const [start, end] = [optionalDate(line.forPeriodStart), optionalDate(line.forPeriodEnd)];
      return {
        kind: line.kind,
        description: line.description,
        metric: line.metric,
        quantity: line.quantity,
        freeQuota: line.freeQuota,
        amount: line.amount,
        forPeriod: start && end ? { start, end } : undefined,
      };
    }),
  };
}

function billingOverGrpc(clients: GrpcClients, config: RuntimeConfig): InvoiceLedger {
  return {
    async invoice(invoiceId) {
      try {
        return issuedInvoice((await clients.call(BillingRpc.getInvoice, { invoiceId })).invoice!);
      } catch (err) {
        if (err instanceof PolarisError && err.kind === ErrorKind.NotFound) return undefined;
        throw err;
      }
    },
    async setPaymentStatus(invoiceId, paymentStatus) {
      const { invoice, changed } = await clients.call(BillingRpc.setInvoicePaymentStatus, { invoiceId, paymentStatus }, systemMetadata(config));
      return { paymentStatus: invoice!.paymentStatus, changed };
    },
  };
}

export const paymentsContext = defineServiceContext({
  service: 'payments',
  create(runtime) {
    const { config, clients, logger } = runtime;
    const store = new PaymentsStore(runtime.database());
    const stripe = config.stripeSecretKey ? stripeClient({ secretKey: config.stripeSecretKey, apiUrl: config.stripeApiUrl }) : undefined;
    const ledger = billingOverGrpc(clients, config);
    const organization = async (organizationId: string) => (await clients.call(IdentityService.getOrganization, { organizationId })).organization!;
    return {
      store,
      logger,
      customers: new StripeCustomers(store, stripe, organization),
      sender: new InvoiceSender(store, stripe, ledger, logger),
      webhooks: new StripeWebhooks(store, ledger, config.stripeWebhookSecret),
    };
  },
  ready: ({ store }) => store.ping(),
});
