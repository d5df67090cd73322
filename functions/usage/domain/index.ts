/** Usage's domain, as its functions and the migrator use it. */
export { UsageService, RecordStatus, type RecordOutcome } from './service.js';
export { UsageStore } from './store.js';
export { validateSummaryQuery, jsonFieldNames, type RecordItem, type UsageFieldNames } from './inputs.js';
export { usageMigrations } from './migrations.js';
