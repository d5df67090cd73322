/**
 * The child processes the local tools start and own (PostgreSQL, initdb,
 * nats-server): one supervisor that starts a child, keeps its output in a log
 * file and the last lines in memory, waits for it to be ready or to exit with
 * a deadline, and stops it with a sequence of signals.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** A running (or reused) service: where to reach it and how to stop it. */
export interface RunningService {
  /** Connection URL, e.g. `postgres://postgres:…@127.0.0.1:54321/postgres` or `nats://127.0.0.1:4222`. */
  url: string;
  /** Stops the service if this process started it; a no-op for reused servers. Safe to call twice. */
  stop(): Promise<void>;
}

/** One step of stopping a process: send `signal`, then wait up to `waitMs` for it to exit. */
export interface StopStep {
  signal: NodeJS.Signals;
  /** Milliseconds to wait for the exit before the next step. */
  waitMs: number;
}

/** Options for {@link superviseProcess}. */
export interface SuperviseOptions {
  /** Executable, absolute or found on PATH. */
  command: string;
  args: readonly string[];
  /** Stdout and stderr are appended to this file (created with mode 0600). */
  logFile: string;
  /** How {@link SupervisedProcess.stop} ends the child: each signal in turn until it exits. */
  stopSteps: readonly StopStep[];
  /** Sent to the child if this Node process exits without stopping it, so it does not outlive us unasked. */
  exitSignal?: NodeJS.Signals;
  /** Run as this user and group (needs root). */
  uid?: number;
  gid?: number;
  /** Working directory; default this process's. */
  cwd?: string;
  /** Environment; default this process's. */
  env?: NodeJS.ProcessEnv;
  /**
   * What the child prints once it is ready to serve, for
   * {@link SupervisedProcess.waitUntilReady}. Read from its own output rather
   * than by probing its port, which another process could answer.
   */
  readyMessage?: string;
}

/** A child process started by {@link superviseProcess}. */
export interface SupervisedProcess {
  readonly pid: number;
  readonly logFile: string;
  hasExited(): boolean;
  /** How it ended, e.g. `exited with code 1`, `could not run /usr/bin/x: …`; `undefined` while it runs. */
  exitReason(): string | undefined;
  /** `true` when it exited with code 0. */
  succeeded(): boolean;
  /** The last non-empty lines of its output (up to 40). */
  outputTail(): string;
  /** Resolves `true` once it has exited, `false` after `timeoutMs` if it still runs. */
  waitForExit(timeoutMs: number): Promise<boolean>;
  /**
   * Resolves `true` once the child has printed its `readyMessage`, `false` if
   * it exits first or `timeoutMs` passes.
   */
  waitUntilReady(timeoutMs: number): Promise<boolean>;
  /** Runs the stop steps (if it still runs), waits for its last output and closes the log. Safe to call twice. */
  stop(): Promise<void>;
}

const OUTPUT_TAIL_LINES = 40;

/** Starts `command` as a supervised child; see {@link SupervisedProcess}. Never throws: a spawn failure shows as an exit. */
export function superviseProcess(options: SuperviseOptions): SupervisedProcess {
  const log = openLog(options.logFile);
  const tail = new OutputTail();
  const child: ChildProcess = spawn(options.command, options.args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
    cwd: options.cwd,
    env: options.env,
  });
  let spawnError: Error | undefined;
  const spawnFailed = new Promise<void>((resolve) =>
    child.once('error', (err) => {
      spawnError = err;
      resolve();
    }),
  );
  const exited = Promise.race([spawnFailed, new Promise<void>((resolve) => child.once('exit', () => resolve()))]);
  // After 'exit', output may still be on its way; 'close' says it has all arrived.
  const outputDone = Promise.race([spawnFailed, new Promise<void>((resolve) => child.once('close', () => resolve()))]);
  let markReady!: () => void;
  const ready = new Promise<boolean>((resolve) => (markReady = () => resolve(true)));
  let unmatched = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      const text = chunk.toString('utf8');
      tail.push(text);
      if (options.readyMessage !== undefined) {
        // Keep the end of the previous chunk: the message may be split across two.
        const window = unmatched + text;
        if (window.includes(options.readyMessage)) markReady();
        unmatched = window.slice(-options.readyMessage.length);
      }
    });
  }
  const onParentExit = () => {
    if (options.exitSignal) child.kill(options.exitSignal);
  };
  process.on('exit', onParentExit);
  void exited.then(() => process.removeListener('exit', onParentExit));

  const hasExited = () => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;
  const waitForExit = (timeoutMs: number) => within(exited.then(() => true), timeoutMs, false);

  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? -1,
    logFile: options.logFile,
    hasExited,
    exitReason: () => {
      if (spawnError) return `could not run ${options.command}: ${spawnError.message}`;
      if (child.exitCode !== null) return `exited with code ${child.exitCode}`;
      if (child.signalCode !== null) return `was ended by ${child.signalCode}`;
      return undefined;
    },
    succeeded: () => spawnError === undefined && child.exitCode === 0,
    outputTail: () => tail.text(),
    waitForExit,
    waitUntilReady: (timeoutMs) => within(Promise.race([ready, exited.then(() => false)]), timeoutMs, false),
    stop() {
      stopping ??= (async () => {
        if (!hasExited()) await stopWithSignals((signal) => child.kill(signal), waitForExit, options.stopSteps);
        // A grandchild may hold the pipes open; a second is enough for the last words.
        await within(outputDone, 1_000, undefined);
        await new Promise<void>((resolve) => log.end(() => resolve()));
      })();
      return stopping;
    },
  };
}

/**
 * The error for a child that failed to start or run: `<what>: <reason> (full
 * log: <file>)`, followed by its last lines of output. `reason` defaults to
 * how it exited.
 */
export function processFailure(proc: SupervisedProcess, what: string, reason?: string): Error {
  const output = proc.outputTail();
  return new Error(`${what}: ${reason ?? proc.exitReason() ?? 'it failed'} (full log: ${proc.logFile})${output ? `\n${output}` : ''}`);
}

/**
 * Ends a process by sending each step's signal in turn and waiting for the
 * exit; resolves whether it exited. The one stop sequence for children we
 * supervise and for processes known only by pid.
 */
export async function stopWithSignals(
  send: (signal: NodeJS.Signals) => void,
  waitForExit: (timeoutMs: number) => Promise<boolean>,
  steps: readonly StopStep[],
): Promise<boolean> {
  for (const step of steps) {
    try {
      send(step.signal);
    } catch {
      // Gone meanwhile.
    }
    if (await waitForExit(step.waitMs)) return true;
  }
  return false;
}

/** Whether a process with this pid exists (also when it belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return errorCode(err) === 'EPERM';
  }
}

/** Polls until the process `pid` is gone; resolves `false` if it still runs after `timeoutMs`. */
export async function waitForPidExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await sleep(100);
  }
  return !isProcessAlive(pid);
}

/** The command line of a process from /proc, or `undefined` when it is gone or there is no /proc. */
export async function readProcArgs(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/** The parent pid of a process from /proc, or `undefined`. */
export async function readParentPid(pid: number): Promise<number | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state, ppid, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number.parseInt(fields[1] ?? '', 10);
  } catch {
    return undefined;
  }
}

/** The first executable file named `command` in the PATH's directories. */
export async function findOnPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      await fs.access(candidate, fs.constants.X_OK);
      if ((await fs.stat(candidate)).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** `promise`'s value, or `onTimeout` when it has not settled after `timeoutMs`. */
async function within<T>(promise: Promise<T>, timeoutMs: number, onTimeout: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(onTimeout), timeoutMs)));
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The `code` of a Node system error (`ENOENT`, …), if it has one. */
export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Keeps the last lines of a process's output, to show them when it fails. */
class OutputTail {
  private lines: string[] = [];
  private partial = '';

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((l) => l.trim() !== ''));
    if (this.lines.length > OUTPUT_TAIL_LINES) this.lines.splice(0, this.lines.length - OUTPUT_TAIL_LINES);
  }

  text(): string {
    return [...this.lines, this.partial].filter((l) => l.trim() !== '').join('\n');
  }
}

function openLog(file: string): WriteStream {
  const stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  // A log file we cannot write must not crash the process.
  stream.on('error', () => undefined);
  return stream;
}
