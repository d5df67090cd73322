/** Billing's domain, as its functions and the migrator use it. */
export { BillingService } from './service.js';
export type { UsageReader } from './other-services.js';
export { BillingStore, type Invoice } from './store.js';
export { validateSetPlan, validateSetTerms, validateVoid, validatePeriod, validateSetPaymentStatus } from './inputs.js';
export { PricingModel } from './price-models.js';
export type { BillingTerms, PlanVersion, PropertyFilter } from './period-pricing.js';
export { minorUnits } from './currency.js';
export { isPaymentStatus, PaymentStatus } from './payment-status.js';
export { billingMigrations } from './migrations.js';
export { UsageAlerts, type UsageAlert } from './usage-alerts.js';
export { UsageAlertStore, type UsageAlertRecord } from './usage-alert-store.js';
export { Entitlements, entitlementCacheMs, type EntitlementAnswer } from './entitlements.js';
export { EntitlementStore, type Entitlement } from './entitlement-store.js';
export { CrossingStore, type RecordedCrossing } from './crossing-store.js';
export {
  EntitlementKind,
  validateCreateUsageAlert,
  validateDeleteUsageAlert,
  validateSetEntitlement,
  validateFeatureRef,
} from './watch-inputs.js';
