/** The payments service's domain, as its functions and the migrator use it. */
export { StripeCustomers, type OrganizationLookup } from './customers.js';
export { InvoiceSender, type SendOutcome } from './invoice-sender.js';
export { StripeWebhooks, WebhooksOffError, paymentStatusByStripeEvent, type WebhookOutcome } from './webhooks.js';
export { PaymentsStore, SendState, type CustomerLink } from './store.js';
export { CollectionMethod, validateSetCustomer, validateOrganizationId, type SetCustomerInput } from './inputs.js';
export type { InvoiceLedger, IssuedInvoice, IssuedInvoiceLine, PaymentReport } from './ledger.js';
export { stripeClient, type StripeSettings } from './stripe.js';
export { toMinorUnits } from './money.js';
export { paymentsMigrations } from './migrations.js';
