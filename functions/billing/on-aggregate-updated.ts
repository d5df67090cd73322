import { Problems } from '../../shared/errors.js';
import { defineEventFunction } from '../../shared/runtime/index.js';
import { isUuid, parseTimestamp } from '../../shared/validation.js';
import { billingContext } from './context.js';

/**
 * Keeps the draft invoice of the aggregate's month up to date. Idempotent and
 * order-free: it reprices the whole month from current aggregates, so
 * redelivered or reordered events converge on the same invoice.
 */
export default defineEventFunction({
  context: billingContext,
  async handle(event, { billing }) {
    const data = (event.data ?? {}) as { orgId?: unknown; periodStart?: unknown };
    const problems = new Problems();
    problems.check(typeof data.orgId === 'string' && isUuid(data.orgId), 'data.orgId', 'must be an organization id (UUID)');
    const at = typeof data.periodStart === 'string' ? parseTimestamp(data.periodStart) : undefined;
    problems.check(at !== undefined, 'data.periodStart', 'must be an RFC 3339 timestamp');
    problems.throwIfAny();
    await billing.onUsageChanged(data.orgId as string, at!);
  },
});
