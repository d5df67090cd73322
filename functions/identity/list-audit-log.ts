import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { AuditLog, validateAuditQuery } from '../../shared/audit/index.js';
import { defineGrpcFunction, defineServiceContext } from '../../shared/runtime/index.js';

/** The log's reader, over the process's pool: the audit log is its own module, not Identity's tables. */
const auditLogContext = defineServiceContext({
  service: 'identity',
  create: (runtime) => new AuditLog(runtime.database()),
});

/**
 * The audit log, newest first, filtered by organization, action and time.
 * The gateway lets the operator read all of it, and an organization's owners
 * and admins their organization's.
 */
export default defineGrpcFunction({
  method: IdentityService.listAuditLog,
  operatorOnly: true,
  context: auditLogContext,
  async handle(request, log) {
    const entries = await log.list(validateAuditQuery(request));
    return {
      entries: entries.map((entry) => ({
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        target: entry.target ?? '',
        organizationId: entry.organizationId ?? '',
        clientAddress: entry.clientAddress ?? '',
      })),
    };
  },
});
