import { Problems } from '../../shared/errors.js';
import { defineEventFunction } from '../../shared/runtime/index.js';
import { isUuid, parseTimestamp } from '../../shared/validation.js';
import { billingContext } from './context.js';

/**
 * Keeps the draft invoices of the periods the aggregate touches up to date,
 * or settles a closed one on the next open invoice. Idempotent and
 * order-free: it reprices whole periods from current usage, so redelivered
 * or reordered events converge on the same invoices.
 */
export default defineEventFunction({
  context: billingContext,
  async handle(event, { billing }) {
    const data = (event.data ?? {}) as { orgId?: unknown; periodStart?: unknown; periodEnd?: unknown };
    const problems = new Problems();
    problems.check(typeof data.orgId === 'string' && isUuid(data.orgId), 'data.orgId', 'must be an organization id (UUID)');
    const start = typeof data.periodStart === 'string' ? parseTimestamp(data.periodStart) : undefined;
    const end = typeof data.periodEnd === 'string' ? parseTimestamp(data.periodEnd) : undefined;
    problems.check(start !== undefined, 'data.periodStart', 'must be an RFC 3339 timestamp');
    problems.check(end !== undefined && (!start || end > start), 'data.periodEnd', 'must be an RFC 3339 timestamp after periodStart');
    problems.throwIfAny();
    await billing.onUsageChanged(data.orgId as string, start!, end!);
  },
});
