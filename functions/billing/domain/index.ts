/** Billing's domain, as its functions and the migrator use it. */
export { BillingService, type UsageReader } from './service.js';
export { BillingStore, type Invoice, type Plan } from './store.js';
export { validateSetPlan, validatePeriod } from './inputs.js';
export { priceUsage } from './pricing.js';
export { minorUnits } from './currency.js';
export { billingMigrations } from './migrations.js';
