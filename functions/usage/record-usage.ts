import { UsageService as UsageRpc } from '../../proto/gen/polaris/usage/v1/usage.js';
import { NumberLiteral } from '../../shared/decimal.js';
import { ValidationError } from '../../shared/errors.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { RecordStatus } from './domain/index.js';
import { usageContext } from './context.js';

/** Records one event for an organization the caller has authenticated (the gateway). */
export default defineGrpcFunction({
  method: UsageRpc.recordUsage,
  context: usageContext,
  async handle(request, { usage }) {
    const orgId = requireUuid('organization_id', request.organizationId);
    const [outcome] = await usage.record(orgId, [
      {
        event: {
          metric: request.metric,
          // A decimal string; one that is no number stays a string, for the validator to name.
          quantity: request.quantity === '' ? undefined : (NumberLiteral.parse(request.quantity) ?? request.quantity),
          timestamp: request.timestamp || undefined,
          idempotencyKey: request.idempotencyKey || undefined,
        },
      },
    ]);
    if (outcome!.status === RecordStatus.Rejected) throw new ValidationError(outcome!.problems);
    return { eventId: outcome!.id, duplicate: outcome!.status === RecordStatus.Duplicate };
  },
});
