/** Usage's domain, as its functions and the migrator use it. */
export { UsageService, RecordStatus, type RecordOutcome, type DailyUsage, type AggregationRun } from './service.js';
export { UsageStore } from './store.js';
export {
  validateSummaryQuery,
  jsonFieldNames,
  usageLimits,
  type RawUsageEvent,
  type RecordItem,
  type UsageFieldNames,
  type UsageSummaryQuery,
} from './inputs.js';
export { usageMigrations } from './migrations.js';
