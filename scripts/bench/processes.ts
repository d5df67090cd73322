/**
 * The processes a bench run starts: each in its own process group, stopped
 * with SIGTERM (then SIGKILL) when the run ends, and killed synchronously if
 * the bench itself dies, so no run leaves a server behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';

const live = new Set<ChildProcess>();

// Last resort (an uncaught error, process.exit elsewhere): no child outlives the bench.
process.on('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Spawns a command in its own process group, tracked for cleanup. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Starts a command and resolves once it printed `readyLine` (on stdout or stderr). */
export function startProcess(command: readonly string[], readyLine: string, env: Record<string, string>, timeoutMs = 120_000): Promise<ChildProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnTracked(command[0]!, command.slice(1), { env: { ...process.env, ...env } });
    let output = '';
    let ready = false;
    const timer = setTimeout(() => {
      if (ready) return;
      void stopProcess(child, 1000);
      reject(new Error(`${command.join(' ')} printed no '${readyLine}' within ${timeoutMs} ms:\n${output.slice(-4000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      if (ready) {
        // Keep the pipes drained; show what a running server complains about.
        const text = String(chunk);
        if (/error|fatal/i.test(text)) process.stderr.write(`[${command.at(-1)}] ${text.slice(0, 2000)}`);
        return;
      }
      output += chunk;
      if (output.includes(readyLine)) {
        ready = true;
        clearTimeout(timer);
        resolvePromise(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`${command.join(' ')} exited ${code ?? signal}:\n${output.slice(-4000)}`));
    });
  });
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the process exited. */
export async function stopProcess(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  // Whatever the leader left behind in its group.
  killGroup(child, 'SIGKILL');
}

/** VmRSS of a process, in bytes (undefined once it is gone). */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** VmRSS split into anonymous memory (heap, stacks) and file-backed pages (the node binary, mostly), in bytes. */
export function rssSplit(pid: number): { anon: number; file: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { anon: field('RssAnon'), file: field('RssFile') + field('RssShmem') };
  } catch {
    return undefined;
  }
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, in clock ticks (100 a second on Linux). */
  ticks: number;
}

export const clockTicksPerSecond = 100;

/** Every process on the machine, from /proc. */
export function processTable(): Map<number, ProcessInfo> {
  const table = new Map<number, ProcessInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      table.set(Number(entry), { pid: Number(entry), ppid: Number(fields[1]), comm, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // exited while we looked
    }
  }
  return table;
}

/** GET `url`; resolves with the status code, or rejects (refused, timed out). */
export function httpStatus(url: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
