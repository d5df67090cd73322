/**
 * PostgreSQL through postgres.js. Each service owns one schema and migrates it
 * with its own forward-only list; no service reads another's schema.
 *
 * On hot paths, instants go to queries as ISO strings typed as text
 * (`${isoTimes}::text[]::timestamptz[]`): postgres.js writes a parameter it
 * knows as timestamptz by making a Date of each value and formatting it again,
 * which for a usage query's windows was a twentieth of the RPC's CPU, while
 * PostgreSQL's own cast costs next to nothing. (An array of Dates is sent as
 * a single timestamptz and refused.)
 */
import postgres, { type Sql } from 'postgres';

export type { Sql };

export interface DatabaseOptions {
  url: string;
  /** Connections at most. */
  poolSize: number;
}

export function connectDatabase(options: DatabaseOptions): Sql {
  return postgres(options.url, {
    max: options.poolSize,
    // Idle connections close soon: a function scaled down should not pin server slots.
    idle_timeout: 30,
    connect_timeout: 10,
    // Column names only: JSON values (event properties) are tenant data and
    // keep their keys as written.
    transform: { column: { from: postgres.toCamel, to: postgres.fromCamel } },
    onnotice: () => {},
    connection: { application_name: process.env.K_SERVICE ?? 'polaris' },
  });
}

/**
 * True for what a pool answers once `end()` was called on it: this process is
 * shutting down, which is no outage. (A query that was already running when
 * a connection closed fails with `CONNECTION_CLOSED` instead.)
 */
export function isEndedPoolError(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'CONNECTION_ENDED';
}

/** One forward-only schema change. `id` orders migrations and is recorded once applied. */
export interface Migration {
  id: string;
  sql: string;
}

/** A service's schema and the migrations that build it, in order. */
export interface SchemaMigrations {
  schema: string;
  migrations: readonly Migration[];
}

/**
 * Applies the migrations not yet applied, each schema in one transaction.
 * Safe when several run at once (a Job and `npm start`, two test workers):
 * an advisory lock makes them take turns, and the later one finds nothing to do.
 *
 * @returns the ids applied by this call, as `schema/id`.
 */
export async function migrate(sql: Sql, schemas: readonly SchemaMigrations[]): Promise<string[]> {
  const applied: string[] = [];
  for (const { schema, migrations } of schemas) {
    await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('polaris.migrate'), hashtext(${schema}))`;
      await tx`create schema if not exists ${tx(schema)}`;
      await tx`
        create table if not exists ${tx(schema)}.schema_migrations (
          id text primary key,
          applied_at timestamptz not null default now()
        )`;
      const done = new Set((await tx<{ id: string }[]>`select id from ${tx(schema)}.schema_migrations`).map((row) => row.id));
      for (const migration of migrations) {
        if (done.has(migration.id)) continue;
        await tx.unsafe(`set local search_path to "${schema}"`);
        await tx.unsafe(migration.sql);
        await tx`insert into ${tx(schema)}.schema_migrations (id) values (${migration.id})`;
        applied.push(`${schema}/${migration.id}`);
      }
    });
  }
  return applied;
}
