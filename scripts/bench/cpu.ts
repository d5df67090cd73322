/**
 * Where the machine's CPU went during a measurement: the load generator (this
 * process, which runs autocannon), Polaris, the baseline server, PostgreSQL,
 * NATS and everything else, in cores (CPU seconds per wall second), read
 * from /proc before and after.
 */
import { readFileSync } from 'node:fs';
import { clockTicksPerSecond, processTable, type ProcessInfo } from './processes.js';

export interface CpuSplit {
  wallSeconds: number;
  /** Cores busy per group; `idle` is what was left of the machine. */
  cores: Record<string, number>;
  /** The biggest consumers in `other` (processes that are not this run's: other users' builds and tests). */
  others: Array<{ command: string; cores: number }>;
  machineCores: number;
}

interface Snapshot {
  at: number;
  table: Map<number, ProcessInfo>;
  machine: { busy: number; idle: number };
}

/** Named process trees (by root pid); anything else is grouped by command name, or `other`. */
export type Roots = Record<string, number | undefined>;

function machineTicks(): { busy: number; idle: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.slice(0, 8).reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, idle };
}

function snapshot(): Snapshot {
  return { at: performance.now(), table: processTable(), machine: machineTicks() };
}

function groupOf(pid: number, table: Map<number, ProcessInfo>, roots: Roots): string {
  // PostgreSQL and NATS by name first: the bench's embedded PostgreSQL is its child, not load generation.
  const comm = table.get(pid)?.comm ?? '';
  if (comm === 'postgres' || comm.startsWith('postgres')) return 'postgres';
  if (comm.startsWith('nats-server')) return 'nats';
  const rootOf = new Map<number, string>();
  for (const [name, root] of Object.entries(roots)) if (root !== undefined) rootOf.set(root, name);
  for (let current: number | undefined = pid, hops = 0; current !== undefined && current > 1 && hops < 64; hops++) {
    const named = rootOf.get(current);
    if (named) return named;
    current = table.get(current)?.ppid;
  }
  return 'other';
}

/** Starts measuring; call the result to get the split since then. */
export function measureCpu(roots: Roots): () => CpuSplit {
  const before = snapshot();
  return () => {
    const after = snapshot();
    const wallSeconds = (after.at - before.at) / 1000;
    const ticks: Record<string, number> = {};
    const otherTicks = new Map<string, number>();
    for (const [pid, info] of after.table) {
      const delta = info.ticks - (before.table.get(pid)?.ticks ?? 0);
      if (delta <= 0) continue;
      const group = groupOf(pid, after.table, roots);
      ticks[group] = (ticks[group] ?? 0) + delta;
      if (group === 'other') {
        const command = commandLine(pid) ?? info.comm;
        otherTicks.set(command, (otherTicks.get(command) ?? 0) + delta);
      }
    }
    const others = [...otherTicks]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([command, value]) => ({ command, cores: round(value / clockTicksPerSecond / wallSeconds) }))
      .filter((other) => other.cores >= 0.05);
    const cores: Record<string, number> = {};
    for (const [group, value] of Object.entries(ticks)) cores[group] = round(value / clockTicksPerSecond / wallSeconds);
    const machineIdle = after.machine.idle - before.machine.idle;
    cores.idle = round(machineIdle / clockTicksPerSecond / wallSeconds);
    const machineCores = round((after.machine.busy - before.machine.busy + machineIdle) / clockTicksPerSecond / wallSeconds);
    return { wallSeconds: round(wallSeconds), cores, machineCores, others };
  };
}

export function formatCpu(split: CpuSplit): string {
  const order = ['bench', 'polaris', 'baseline', 'postgres', 'nats', 'other', 'idle'];
  const names = Object.keys(split.cores).sort((a, b) => (order.indexOf(a) + 99) % 99 - ((order.indexOf(b) + 99) % 99));
  const others = split.others.length > 0 ? `; other: ${split.others.map((other) => `${other.command} ${other.cores.toFixed(2)}`).join(', ')}` : '';
  return `${names.map((name) => `${name} ${split.cores[name]!.toFixed(2)}`).join(', ')} (cores of ${split.machineCores.toFixed(1)}, over ${split.wallSeconds.toFixed(1)} s)${others}`;
}

/** A short label for a process: its program and first arguments, without directories. */
function commandLine(pid: number): string | undefined {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (args.length === 0) return undefined;
    const label = args
      .filter((arg) => !arg.startsWith('--require') && !arg.startsWith('--import') && !arg.includes('tsx/dist'))
      .slice(0, 3)
      .map((arg) => arg.replace(/^.*\//, ''))
      .join(' ');
    return label.length > 40 ? `${label.slice(0, 39)}…` : label;
  } catch {
    return undefined;
  }
}

const round = (value: number) => Math.round(value * 100) / 100;
