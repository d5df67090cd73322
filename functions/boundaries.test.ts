/**
 * Each service owns its schema: no service's code names another's tables.
 * (They talk through RPCs and events.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const services = ['identity', 'usage', 'billing', 'payments', 'webhooks'] as const;

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('service boundaries', () => {
  it.each(services)('%s names no other service’s schema in its code', (service) => {
    const others = services.filter((other) => other !== service);
    for (const file of sources(join('functions', service))) {
      const text = readFileSync(file, 'utf8');
      // SQL names a table as `<schema>.<table>` after one of these keywords.
      for (const other of others) expect(text, `${file} reaches into ${other}`).not.toMatch(new RegExp(`\\b(from|join|into|update|table)\\s+${other}\\.`, 'i'));
    }
  });

  it('leaves the audit log to its own module', () => {
    const elsewhere = [...sources('functions'), ...sources('shared')].filter((file) => !file.startsWith(join('shared', 'audit')));
    for (const file of elsewhere) expect(readFileSync(file, 'utf8'), `${file} reaches into audit`).not.toMatch(/\b(from|join|into|update|table)\s+audit\./i);
  });
});
