/** Spawning bundles as Knative would: `node <bundle>` with PORT and env. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface SpawnedFunction {
  child: ChildProcess;
  port: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** What was written to stdout alone. */
  stdout(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** `nodeArgs` go to `node` before the bundle (V8 flags NODE_OPTIONS does not take, say). */
export function spawnBundle(bundle: string, port: number, env: Record<string, string>, nodeArgs: readonly string[] = []): SpawnedFunction {
  const child = spawn(process.execPath, [...nodeArgs, bundle], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, port, output: () => output, stdout: () => stdout, exited };
}

/**
 * Spawns `bundle` with PORT=0 and resolves once it logs its `listening` line
 * (LOG_LEVEL info or lower), with `port` the one the OS gave it. A port picked
 * beforehand could be taken by another process, or handed to two bundles,
 * before the bundle binds it; a port the bundle bound itself cannot.
 */
export async function spawnBundleOnFreePort(bundle: string, env: Record<string, string>, timeoutMs = 60_000, nodeArgs: readonly string[] = []): Promise<SpawnedFunction> {
  const fn = spawnBundle(bundle, 0, env, nodeArgs);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      fn.child.kill('SIGKILL');
      reject(new Error(`${bundle} did not log its port within ${timeoutMs} ms:\n${fn.output()}`));
    }, timeoutMs);
    let pending = '';
    fn.child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const port = listeningPort(line);
        if (port !== undefined) {
          clearTimeout(timer);
          resolve(port);
        }
      }
    });
    void fn.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${bundle} exited (${code}) before listening:\n${fn.output()}`));
    });
  });
  return { ...fn, port };
}

/** The port of a bundle's `{"port":…,"msg":"<name> listening"}` log line. */
function listeningPort(line: string): number | undefined {
  try {
    const entry = JSON.parse(line) as { port?: unknown; msg?: unknown };
    return typeof entry.port === 'number' && typeof entry.msg === 'string' && entry.msg.endsWith(' listening') ? entry.port : undefined;
  } catch {
    return undefined;
  }
}

/** Polls `url` until it answers 200; returns the milliseconds it took. */
export async function waitForOk(url: string, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return performance.now() - start;
    } catch {
      // not listening yet
    }
    if (performance.now() - start > timeoutMs) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
