/** The SQL of usage alerts. */
import type { TransactionSql } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import { Decimal } from '../../../shared/decimal.js';

/** A pool or a transaction: both run queries. */
type Queryable = Sql | TransactionSql;

/** An alert as stored. */
export interface UsageAlertRecord {
  id: string;
  orgId: string;
  /** Undefined: the draft invoice's amount. */
  metric?: string;
  budget: Decimal;
  /** Ascending. */
  percentages: Decimal[];
  createdAt: Date;
}

interface AlertRow {
  id: string;
  orgId: string;
  metric: string | null;
  budget: string;
  percentages: string[];
  createdAt: Date;
}

const alertColumns = 'id, org_id, metric, budget::text, percentages::text[], created_at';

export class UsageAlertStore {
  constructor(private readonly sql: Sql) {}

  async insert(tx: Queryable, alert: Omit<UsageAlertRecord, 'createdAt'>): Promise<UsageAlertRecord> {
    const [row] = await tx<AlertRow[]>`
      insert into billing.usage_alerts (id, org_id, metric, budget, percentages)
      values (${alert.id}, ${alert.orgId}, ${alert.metric ?? null}, ${alert.budget.toString()}, ${alert.percentages.map(String)}::numeric[])
      returning ${tx.unsafe(alertColumns)}`;
    return toAlert(row!);
  }

  async count(tx: Queryable, orgId: string): Promise<number> {
    const [row] = await tx<{ count: number }[]>`select count(*)::int as count from billing.usage_alerts where org_id = ${orgId}`;
    return row!.count;
  }

  /** The organization's alerts, oldest first. */
  async ofOrganization(orgId: string, sql: Queryable = this.sql): Promise<UsageAlertRecord[]> {
    const rows = await sql<AlertRow[]>`select ${sql.unsafe(alertColumns)} from billing.usage_alerts where org_id = ${orgId} order by created_at, id`;
    return rows.map(toAlert);
  }

  async find(id: string): Promise<UsageAlertRecord | undefined> {
    const [row] = await this.sql<AlertRow[]>`select ${this.sql.unsafe(alertColumns)} from billing.usage_alerts where id = ${id}`;
    return row && toAlert(row);
  }

  /** Deletes the alert and answers it; undefined when there was none. */
  async delete(tx: Queryable, id: string): Promise<UsageAlertRecord | undefined> {
    const [row] = await tx<AlertRow[]>`delete from billing.usage_alerts where id = ${id} returning ${tx.unsafe(alertColumns)}`;
    return row && toAlert(row);
  }
}

function toAlert(row: AlertRow): UsageAlertRecord {
  return {
    id: row.id,
    orgId: row.orgId,
    metric: row.metric ?? undefined,
    budget: Decimal.of(row.budget),
    percentages: row.percentages.map((p) => Decimal.of(p)),
    createdAt: row.createdAt,
  };
}
