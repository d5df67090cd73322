/**
 * The audit log: every mutation, who made it, when and from where. The gRPC
 * runtime writes it after a function's `audit` declaration; ListAuditLog
 * reads it. Nothing else touches its schema.
 */
export { AuditLog, type AuditEntry, type AuditEntryInput } from './store.js';
export { validateAuditQuery, maxAuditEntries, auditActionPattern, type AuditQuery } from './query.js';
export { auditMigrations } from './migrations.js';
export { AuditWriter, actorOf, auditMetadata } from './writer.js';
