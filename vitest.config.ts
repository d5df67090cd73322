import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // One graphql-js, as in Node and in the bundles: Vite would resolve 'graphql' to its ES module
    // build while Mercurius, run by Node, requires the CommonJS one, and a schema built by one copy
    // is refused by the other's functions.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
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
