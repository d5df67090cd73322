/** The payments domain's values in their protobuf form. */
import { CollectionMethod as RpcMethod, type StripeCustomer } from '../../proto/gen/polaris/payments/v1/payments.js';
import { Problems } from '../../shared/errors.js';
import { isUuid } from '../../shared/validation.js';
import { CollectionMethod, type CustomerLink } from './domain/index.js';

const methodToRpc: Record<CollectionMethod, RpcMethod> = {
  [CollectionMethod.ChargeAutomatically]: RpcMethod.COLLECTION_METHOD_CHARGE_AUTOMATICALLY,
  [CollectionMethod.SendInvoice]: RpcMethod.COLLECTION_METHOD_SEND_INVOICE,
};

/** The domain's method for an RPC one: '' for unspecified, 'UNKNOWN' for a value this version does not know. */
export function methodFromRpc(method: RpcMethod): CollectionMethod | '' | 'UNKNOWN' {
  if (method === RpcMethod.COLLECTION_METHOD_UNSPECIFIED) return '';
  return (Object.entries(methodToRpc).find(([, value]) => value === method)?.[0] as CollectionMethod | undefined) ?? 'UNKNOWN';
}

export function customerMessage(link: CustomerLink): StripeCustomer {
  return {
    organizationId: link.orgId,
    customerId: link.customerId,
    collectionMethod: methodToRpc[link.collectionMethod],
    daysUntilDue: link.daysUntilDue ?? 0,
    updatedAt: link.updatedAt.toISOString(),
  };
}

/** The invoice an invoice event is about, lower-cased; a ValidationError naming `data.invoiceId` when it names none. */
export function invoiceIdOfEvent(event: { data?: unknown }): string {
  const { invoiceId } = (event.data ?? {}) as { invoiceId?: unknown };
  const problems = new Problems();
  problems.check(typeof invoiceId === 'string' && isUuid(invoiceId), 'data.invoiceId', 'must be an invoice id (UUID)');
  problems.throwIfAny();
  return (invoiceId as string).toLowerCase();
}
