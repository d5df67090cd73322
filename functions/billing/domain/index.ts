/** Billing's domain, as its functions and the migrator use it. */
export { BillingService, type UsageReader, type OrganizationCheck } from './service.js';
export { BillingStore, InvoiceStatus, type Invoice, type Plan } from './store.js';
export { validateSetPlan, validatePeriod, type SetPlanInput } from './inputs.js';
export { priceUsage, type PricedLine } from './pricing.js';
export { minorUnits } from './currency.js';
export { InvoiceNotFoundError, CurrencyMismatchError } from './errors.js';
export { billingMigrations } from './migrations.js';
