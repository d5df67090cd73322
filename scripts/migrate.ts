/**
 * Applies every service's pending migrations to DATABASE_URL. The same code
 * runs as `npm run migrate`, inside `npm start`, and as the Kubernetes Job.
 * Safe to run concurrently: the runs take turns on an advisory lock.
 */
import { fileURLToPath } from 'node:url';
import { allMigrations } from '../functions/migrations.js';
import { ConfigError, SettingsReader } from '../shared/config.js';
import { connectDatabase, migrate } from '../shared/database.js';

export async function migrateDatabase(url: string): Promise<string[]> {
  const sql = connectDatabase({ url, poolSize: 1 });
  try {
    return await migrate(sql, allMigrations);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  try {
    const read = new SettingsReader(process.env);
    const url = read.url('database', 'DATABASE_URL', ['postgres:', 'postgresql:']);
    if (!url && read.problems.length === 0) read.problems.push('database: DATABASE_URL is required');
    read.done();
    const applied = await migrateDatabase(url!);
    console.log(JSON.stringify({ applied }));
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `migrate: ${(err as Error).message}`);
    process.exit(1);
  }
}
