/**
 * What the runtime's servers (gRPC, HTTP) are given and what they return, so
 * a process can start any of them the same way: a bundle starts the one its
 * function needs, a host starts both.
 */
import type { ServiceContexts } from './contexts.js';
import type { AnyFunction, FunctionEntry, Runtime } from './function.js';

/** A function with its registry entry. */
export interface HostedFunction {
  entry: FunctionEntry;
  fn: AnyFunction;
}

export interface ServerOptions {
  runtime: Runtime;
  /** The functions to serve; each server takes the kinds it carries. */
  functions: readonly HostedFunction[];
  contexts: ServiceContexts;
  host: string;
  /** 0 lets the OS pick one; {@link RunningServer.port} tells which. */
  port: number;
  /** Rejects while the process should get no traffic (starting, draining). */
  readiness(): Promise<void>;
}

export interface RunningServer {
  /** The port bound (useful when 0 was asked for). */
  port: number;
  /** Stops accepting, then waits for in-flight work up to `graceMs`. */
  close(graceMs: number): Promise<void>;
}

/** Starts one server; a bundle's entry names the one its function needs. */
export type StartServer = (options: ServerOptions) => Promise<RunningServer>;
