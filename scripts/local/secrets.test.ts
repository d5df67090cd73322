import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/support/temp-dirs.js';
import { loadOrCreateAdminToken } from './secrets.js';

const freshDir = useTempDirs('polaris-secrets-');

describe('loadOrCreateAdminToken', () => {
  it('creates the token once, with mode 0600, and returns it again', async () => {
    const stateDir = path.join(await freshDir(), 'state');
    const token = await loadOrCreateAdminToken(stateDir);
    expect(token).toMatch(/^pol_admin_[A-Za-z0-9_-]{43}$/);
    expect(await loadOrCreateAdminToken(stateDir)).toBe(token);
    const stat = await fs.stat(path.join(stateDir, 'admin-token'));
    expect(stat.mode & 0o777).toBe(0o600);
  });
});
