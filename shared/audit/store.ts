/** The audit log's SQL. Only this module touches the `audit` schema. */
import type { Sql } from '../database.js';
import type { AuditQuery } from './query.js';

/** A mutation as the log keeps it: who did what, to which object, in which organization, from where. */
export interface AuditEntryInput {
  actor: string;
  action: string;
  target?: string;
  organizationId?: string;
  clientAddress?: string;
}

export interface AuditEntry {
  /** RFC 3339, UTC, to the microsecond. */
  at: string;
  actor: string;
  action: string;
  target: string | null;
  organizationId: string | null;
  clientAddress: string | null;
}

export class AuditLog {
  constructor(private readonly sql: Sql) {}

  /** Writes entries in one statement: all or none. */
  async write(entries: readonly AuditEntryInput[]): Promise<void> {
    if (entries.length === 0) return;
    await this.sql`
      insert into audit.entries (actor, action, target, organization_id, client_address)
      select * from unnest(
        ${entries.map((e) => e.actor)}::text[], ${entries.map((e) => e.action)}::text[], ${entries.map((e) => e.target ?? null)}::text[],
        ${entries.map((e) => e.organizationId ?? null)}::uuid[], ${entries.map((e) => e.clientAddress ?? null)}::text[]
      )`;
  }

  /** Entries matching the query, newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]> {
    const { sql } = this;
    return sql<AuditEntry[]>`
      select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at,
             actor, action, target, organization_id, client_address
      from audit.entries
      where true
        ${query.organizationId ? sql`and organization_id = ${query.organizationId}` : sql``}
        ${query.action ? sql`and action = ${query.action}` : sql``}
        ${query.from ? sql`and at >= ${query.from}` : sql``}
        ${query.to ? sql`and at < ${query.to}` : sql``}
      order by at desc, id desc
      limit ${query.limit}`;
  }
}
