import { defineEventFunction } from '../../shared/runtime/index.js';
import { Problems } from '../../shared/errors.js';
import { isUuid } from '../../shared/validation.js';
import { usageContext } from './context.js';

/**
 * Aggregates every event committed since the last run. Triggered by
 * `dev.polaris.aggregation.requested` (the CronJob, an operator, anyone with
 * a route; optional data `{"orgId"}` limits the run) or Knative's PingSource.
 */
export default defineEventFunction({
  context: usageContext,
  async handle(event, { usage }) {
    const orgId = (event.data as { orgId?: unknown } | undefined)?.orgId;
    const problems = new Problems();
    if (orgId !== undefined) problems.check(typeof orgId === 'string' && isUuid(orgId), 'data.orgId', 'must be an organization id (UUID)');
    problems.throwIfAny();
    await usage.aggregate({ orgId: orgId as string | undefined });
  },
});
