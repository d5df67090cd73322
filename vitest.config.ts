import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['functions/**/*.test.ts', 'shared/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A file per core, not vitest's one fewer: the files spend much of their time waiting on
    // the servers they start (PostgreSQL, NATS, bundles, a browser), and on two cores one file
    // at a time left the machine half idle.
    maxWorkers: availableParallelism(),
    globalSetup: ['test/global-setup.ts'],
  },
});
