import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the module at `moduleUrl` (its own file, usually:
 * `import.meta.url`). A worker does not inherit `--import tsx`, so from
 * TypeScript source it registers tsx itself before importing the module.
 */
export function moduleWorker(moduleUrl: string, workerData: unknown): Worker {
  if (!moduleUrl.endsWith('.ts')) return new Worker(new URL(moduleUrl), { workerData });
  return new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); })`, {
    eval: true,
    workerData,
  });
}
