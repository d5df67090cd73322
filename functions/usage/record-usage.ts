import { UsageService as UsageRpc } from '../../proto/gen/polaris/usage/v1/usage.js';
import { NumberLiteral } from '../../shared/decimal.js';
import { ValidationError } from '../../shared/errors.js';
import { defineGrpcFunction } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
import { RecordStatus } from './domain/index.js';
import type { PropertyValue } from '../../proto/gen/polaris/usage/v1/usage.js';
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
          properties: propertiesFromRpc(request.properties),
        },
      },
    ]);
    if (outcome!.status === RecordStatus.Rejected) throw new ValidationError(outcome!.problems);
    return { eventId: outcome!.id, duplicate: outcome!.status === RecordStatus.Duplicate };
  },
});

/**
 * The RPC's property values as the shared validator takes them: a number's
 * exact text as a NumberLiteral; a value with none of the three set stays
 * undefined, for the validator to name.
 */
function propertiesFromRpc(properties: { [key: string]: PropertyValue }): Record<string, unknown> {
  const plain: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(properties)) {
    if (value.number !== undefined) {
      const number = NumberLiteral.parse(value.number);
      if (!number) throw new ValidationError([{ field: `properties.${key}`, message: 'number must be a decimal number, e.g. 12.5' }]);
      plain[key] = number;
    } else {
      plain[key] = value.text ?? value.flag;
    }
  }
  return plain;
}
