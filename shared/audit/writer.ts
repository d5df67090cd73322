/**
 * Turns a function's audit declaration and the call's metadata into log
 * entries. Who acted, in this order: the declaration's own actor (a sign-in
 * names its user), the `polaris-actor` the gateway sends with the operator
 * token, `operator` for a call carrying the token without one, else
 * `system`. Only a holder of the operator token may say someone else acted:
 * an actor named by any other caller in the cluster is not believed.
 */
import type { Metadata } from '@grpc/grpc-js';
import { carriesOperatorToken } from '../auth.js';
import type { AuditRecord } from '../runtime/function.js';
import type { AuditEntryInput, AuditLog } from './store.js';

/** Metadata the gateway sends with the calls it makes for someone. */
export const auditMetadata = { actor: 'polaris-actor', clientAddress: 'polaris-client-address' } as const;

/** operator, system, user:<id>, key:<id>, token:<organization id>. */
const actorPattern = /^(operator|system|(user|key|token):[A-Za-z0-9_-]{1,100})$/;
/** An IPv4 or IPv6 address (with a zone or port, as a proxy may pass it): printable ASCII, no spaces. */
const clientAddressPattern = /^[\x21-\x7e]{1,100}$/;

function metadataText(metadata: Metadata, key: string, pattern: RegExp): string | undefined {
  const value = metadata.get(key)[0];
  // A malformed value is dropped rather than stored: the log holds only what its readers can trust the shape of.
  return typeof value === 'string' && pattern.test(value) ? value : undefined;
}

/** Who made a call, as the audit log names actors. */
export function actorOf(metadata: Metadata, adminToken: string | undefined): string {
  if (!carriesOperatorToken(metadata, adminToken)) return 'system';
  return metadataText(metadata, auditMetadata.actor, actorPattern) ?? 'operator';
}

export class AuditWriter {
  constructor(
    private readonly log: AuditLog,
    private readonly adminToken: string | undefined,
  ) {}

  /** The entries for what a call declared, as they will be stored. */
  entries(declared: AuditRecord | readonly AuditRecord[], metadata: Metadata): AuditEntryInput[] {
    const records: readonly AuditRecord[] = Array.isArray(declared) ? declared : [declared as AuditRecord];
    if (records.length === 0) return [];
    const caller = actorOf(metadata, this.adminToken);
    const clientAddress = metadataText(metadata, auditMetadata.clientAddress, clientAddressPattern);
    return records.map((record) => ({
      actor: record.actor ?? caller,
      action: record.action,
      target: record.target || undefined,
      organizationId: record.organizationId || undefined,
      clientAddress,
    }));
  }

  async write(declared: AuditRecord | readonly AuditRecord[], metadata: Metadata): Promise<void> {
    await this.log.write(this.entries(declared, metadata));
  }
}
