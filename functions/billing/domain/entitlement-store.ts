/** The SQL of entitlements and of the usage state billing keeps for them. */
import type { TransactionSql } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import { Decimal } from '../../../shared/decimal.js';
import type { Period } from '../../../shared/periods.js';
import { EntitlementKind, type SetEntitlementInput } from './watch-inputs.js';

/** A pool or a transaction: both run queries. */
type Queryable = Sql | TransactionSql;

export interface Entitlement {
  id: string;
  orgId: string;
  feature: string;
  kind: EntitlementKind;
  /** BOOLEAN: whether the feature is on (METERED: always true). */
  enabled: boolean;
  /** METERED: the metric and its limit per billing period. */
  metric?: string;
  limit?: Decimal;
  soft: boolean;
  updatedAt: Date;
}

/** What a check reads: the entitlement, its usage state and the organization's billing time zone, in one row. */
export interface EntitlementSnapshot {
  entitlement: Entitlement;
  /** The usage billing last counted, for the period it counted it in; undefined before any. */
  state?: { period: Period; usage: Decimal };
  timeZone: string;
}

interface EntitlementRow {
  id: string;
  orgId: string;
  feature: string;
  kind: EntitlementKind;
  enabled: boolean;
  metric: string | null;
  limit: string | null;
  soft: boolean;
  updatedAt: Date;
}

const entitlementColumns = 'id, org_id, feature, kind, enabled, metric, "limit"::text, soft, updated_at';

export class EntitlementStore {
  constructor(private readonly sql: Sql) {}

  /** Creates the organization's entitlement to the feature, or replaces what it was (keeping its id). */
  async upsert(tx: Queryable, id: string, input: SetEntitlementInput): Promise<Entitlement> {
    const metered = input.kind === EntitlementKind.Metered ? input : undefined;
    const [row] = await tx<EntitlementRow[]>`
      insert into billing.entitlements (id, org_id, feature, kind, enabled, metric, "limit", soft)
      values (${id}, ${input.orgId}, ${input.feature}, ${input.kind}, ${input.kind === EntitlementKind.Boolean ? input.enabled : true},
        ${metered?.metric ?? null}, ${metered?.limit.toString() ?? null}, ${metered?.soft ?? false})
      on conflict (org_id, feature) do update set kind = excluded.kind, enabled = excluded.enabled, metric = excluded.metric,
        "limit" = excluded."limit", soft = excluded.soft, updated_at = now()
      returning ${tx.unsafe(entitlementColumns)}`;
    return toEntitlement(row!);
  }

  /** How many entitlements the organization has, and whether one is to `feature`. */
  async census(tx: Queryable, orgId: string, feature: string): Promise<{ count: number; exists: boolean }> {
    const [row] = await tx<{ count: number; exists: boolean }[]>`
      select count(*)::int as count, coalesce(bool_or(feature = ${feature}), false) as exists from billing.entitlements where org_id = ${orgId}`;
    return row!;
  }

  /** The organization's entitlements by feature; only the metered ones when asked. */
  async ofOrganization(orgId: string, options: { meteredOnly?: boolean; sql?: Queryable } = {}): Promise<Entitlement[]> {
    const sql = options.sql ?? this.sql;
    const rows = await sql<EntitlementRow[]>`
      select ${sql.unsafe(entitlementColumns)} from billing.entitlements
      where org_id = ${orgId} ${options.meteredOnly ? sql`and kind = 'metered'` : sql``} order by feature`;
    return rows.map(toEntitlement);
  }

  /** Deletes the entitlement (its state goes with it); its id, or undefined when there was none. */
  async delete(tx: Queryable, orgId: string, feature: string): Promise<string | undefined> {
    const [row] = await tx<{ id: string }[]>`delete from billing.entitlements where org_id = ${orgId} and feature = ${feature} returning id`;
    return row?.id;
  }

  /** Keeps each metered entitlement's usage in the period, writing only what changed. */
  async saveUsage(tx: Queryable, period: Period, usage: readonly { entitlementId: string; usage: Decimal }[]): Promise<void> {
    if (usage.length === 0) return;
    await tx`
      insert into billing.entitlement_state (entitlement_id, period_start, period_end, usage)
      select id, ${period.start}, ${period.end}, usage from unnest(${usage.map((u) => u.entitlementId)}::uuid[], ${usage.map((u) => u.usage.toString())}::numeric[]) as u (id, usage)
      on conflict (entitlement_id) do update set period_start = excluded.period_start, period_end = excluded.period_end, usage = excluded.usage, updated_at = now()
      where (entitlement_state.period_start, entitlement_state.usage) is distinct from (excluded.period_start, excluded.usage)`;
  }

  /** What a check needs, in one query; undefined when the organization has no entitlement to the feature. */
  async snapshot(orgId: string, feature: string): Promise<EntitlementSnapshot | undefined> {
    const [row] = await this.sql<(EntitlementRow & { periodStart: Date | null; periodEnd: Date | null; usage: string | null; timeZone: string | null })[]>`
      select e.id, e.org_id, e.feature, e.kind, e.enabled, e.metric, e."limit"::text, e.soft, e.updated_at, s.period_start, s.period_end, s.usage::text,
        (select t.time_zone from billing.billing_terms t where t.org_id = e.org_id limit 1) as time_zone
      from billing.entitlements e left join billing.entitlement_state s on s.entitlement_id = e.id
      where e.org_id = ${orgId} and e.feature = ${feature}`;
    if (!row) return undefined;
    return {
      entitlement: toEntitlement(row),
      state: row.periodStart && row.periodEnd && row.usage !== null ? { period: { start: row.periodStart, end: row.periodEnd }, usage: Decimal.of(row.usage) } : undefined,
      timeZone: row.timeZone ?? 'UTC',
    };
  }
}

function toEntitlement(row: EntitlementRow): Entitlement {
  return {
    id: row.id,
    orgId: row.orgId,
    feature: row.feature,
    kind: row.kind,
    enabled: row.enabled,
    metric: row.metric ?? undefined,
    limit: row.limit === null ? undefined : Decimal.of(row.limit),
    soft: row.soft,
    updatedAt: row.updatedAt,
  };
}
