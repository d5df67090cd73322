/**
 * A PostgreSQL database of its own for each test file, migrated like
 * production, dropped afterwards. Set POLARIS_TEST_DATABASE_URL to point the
 * tests at another server (default: the machine's PostgreSQL on 5432).
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { allMigrations } from '../../functions/migrations.js';
import { connectDatabase, migrate, type Sql } from '../../shared/database.js';

export const adminDatabaseUrl = process.env.POLARIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `polaris_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminDatabaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  const sql = connectDatabase({ url: url.toString(), poolSize: 5 });
  if (options.migrate !== false) await migrate(sql, allMigrations);
  return {
    url: url.toString(),
    sql,
    async drop() {
      await sql.end({ timeout: 1 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
