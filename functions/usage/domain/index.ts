/** Usage's domain, as its functions and the migrator use it. */
export { UsageService, RecordStatus, type RecordOutcome, type OrganizationItem } from './service.js';
export { UsageStore, listedUsageEvents } from './store.js';
export { AggregationStore } from './aggregation-store.js';
export { SummaryStore } from './summary-store.js';
export { MeterStore } from './meter-store.js';
export { EventPartitionStore } from './partition-store.js';
export { validateMeter, MeterAggregation, type Meter } from './meters.js';
export { validateSummaryQuery, jsonFieldNames, type RawUsageEvent, type RecordItem, type UsageFieldNames } from './inputs.js';
export { usageMigrations } from './migrations.js';
export { concurrentWrites } from './write-concurrency.js';
