/** Temporary directories a test file makes, removed after each test. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

/**
 * Returns a function that makes a fresh directory under the OS temp dir
 * (`mkdtemp`, so mode 0700 unless `mode` says otherwise); every directory it
 * made is removed after each test of the calling file.
 */
export function useTempDirs(prefix: string): (mode?: number) => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });
  return async (mode) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    made.push(dir);
    if (mode !== undefined) await fs.chmod(dir, mode);
    return dir;
  };
}
