/**
 * What Billing's domain asks of the other services (Usage's figures,
 * Identity's organizations), as interfaces its functions fill in over gRPC
 * and its tests fill in by hand.
 */
import type { Decimal } from '../../../shared/decimal.js';
import type { Period } from '../../../shared/periods.js';
import type { PropertyFilter } from './period-pricing.js';

/** A metric's value over a whole period, as its meter measures it. */
export interface MetricTotal {
  metric: string;
  total: Decimal;
}

/** Usage's figures for a period, from the Usage service. */
export interface UsageReader {
  /**
   * Every metric's value over the whole period, by its meter: the sum for
   * SUM and COUNT, the greatest reading for MAX, the latest for LATEST, the
   * distinct values for UNIQUE_COUNT.
   */
  periodValues(orgId: string, period: Period): Promise<MetricTotal[]>;
  /** One metric's period value over the usage whose properties pass `where`; a ValidationError names `where` when the meter cannot filter so. */
  filteredValue(orgId: string, metric: string, where: readonly PropertyFilter[], period: Period): Promise<Decimal>;
}

/** Confirms an organization exists (through Identity); throws NotFound otherwise. */
export type OrganizationCheck = (orgId: string) => Promise<void>;
