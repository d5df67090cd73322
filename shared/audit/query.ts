/** What ListAuditLog may ask for, checked at the edge and naming the wire's fields. */
import { Problems } from '../errors.js';
import { checkDateOrTimestamp, isUuid } from '../validation.js';

/** Entries answered at most, and when no limit is given. */
export const maxAuditEntries = 1000;

/** `<object>.<verb>`, snake_case. */
export const auditActionPattern = /^[a-z][a-z0-9_]{0,48}\.[a-z][a-z0-9_]{0,48}$/;

export interface AuditQuery {
  /** Undefined: every organization's entries (and those of none). */
  organizationId?: string;
  action?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  limit: number;
}

export function validateAuditQuery(request: { organizationId: string; action: string; from: string; to: string; limit: number }): AuditQuery {
  const problems = new Problems();
  if (request.organizationId !== '') problems.check(isUuid(request.organizationId), 'organization_id', 'must be a UUID');
  if (request.action !== '') problems.check(auditActionPattern.test(request.action), 'action', 'must be an action such as api_key.create');
  const from = request.from === '' ? undefined : checkDateOrTimestamp(problems, 'from', request.from);
  const to = request.to === '' ? undefined : checkDateOrTimestamp(problems, 'to', request.to);
  if (from && to) problems.check(from < to, 'to', 'must be after from');
  const limit = request.limit === 0 ? maxAuditEntries : request.limit;
  problems.check(Number.isInteger(limit) && limit >= 1 && limit <= maxAuditEntries, 'limit', `must be between 1 and ${maxAuditEntries}`);
  problems.throwIfAny();
  return {
    organizationId: request.organizationId === '' ? undefined : request.organizationId.toLowerCase(),
    action: request.action || undefined,
    from,
    to,
    limit,
  };
}
