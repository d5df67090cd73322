import { UsageService as UsageRpc } from '../../proto/gen/polaris/usage/v1/usage.js';
import { ValidationError } from '../../shared/errors.js';
import { defineGrpcFunction } from '../../shared/runtime/function.js';
import { requireUuid } from '../../shared/validation.js';
import { quantityFromText, RecordStatus } from './domain/index.js';
import { usageContext } from './context.js';

/** Records one event for an organization the caller has authenticated (the gateway). */
export default defineGrpcFunction({
  method: UsageRpc.recordUsage,
  context: usageContext,
  async handle(request, { usage }) {
    const orgId = requireUuid('organization_id', request.organizationId);
    const [outcome] = await usage.record(orgId, [
      {
        metric: request.metric,
        quantity: quantityFromText(request.quantity),
        timestamp: request.timestamp || undefined,
        idempotencyKey: request.idempotencyKey || undefined,
      },
    ]);
    if (outcome!.status === RecordStatus.Rejected) throw new ValidationError(outcome!.problems);
    return { eventId: outcome!.id, duplicate: outcome!.status === RecordStatus.Duplicate };
  },
});
