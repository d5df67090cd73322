import { defineEventFunction } from '../../shared/runtime/index.js';
import { Problems } from '../../shared/errors.js';
import { isUuid } from '../../shared/validation.js';
import { usageContext } from './context.js';

/**
 * Aggregates every event committed since the last run. Triggered by
 * `dev.polaris.aggregation.requested` (the CronJob, an operator, anyone with
 * a route; optional data `{"orgId"}` limits the run) or Knative's PingSource.
 * A run over every organization also keeps usage_events' months (made
 * ahead, dropped past POLARIS_USAGE_RETENTION_MONTHS).
 */
export default defineEventFunction({
  context: usageContext,
  async handle(event, { usage, logger }) {
    const orgId = (event.data as { orgId?: unknown } | undefined)?.orgId;
    const problems = new Problems();
    if (orgId !== undefined) problems.check(typeof orgId === 'string' && isUuid(orgId), 'data.orgId', 'must be an organization id (UUID)');
    problems.throwIfAny();
    const { partitions } = await usage.aggregate({ orgId: orgId as string | undefined });
    if (partitions?.dropped.length) logger.info({ dropped: partitions.dropped }, 'usage events past retention dropped');
    if (partitions?.heldBack) logger.info({ heldBack: partitions.heldBack }, 'a month past retention kept until the next run');
  },
});
