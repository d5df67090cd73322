/**
 * The function runtime: the typed contract a function exports, and what runs
 * it — a bundle on its own (`runStandalone`), many functions in one process
 * (`startHost`), their servers, and how a process starts and stops.
 */
export {
  defineEventFunction,
  defineGrpcFunction,
  defineHttpFunction,
  defineServiceContext,
  type AnyFunction,
  type AuditRecord,
  type FunctionEntry,
  type FunctionKind,
  type Runtime,
} from './function.js';
export { createRuntime, type ProcessRuntime } from './runtime.js';
export { startHost, type FunctionHost, type HostOptions } from './host.js';
export { runStandalone } from './standalone.js';
export { startGrpcServer } from './grpc-server.js';
export { startHttpServer } from './http-server.js';
export { bodyTooLargeMessage, maxBodyBytes, type ErrorBody } from './http-answers.js';
export { opsRequestHandler } from './ops.js';
export { loadSettingsOrExit, runProcess, serveFunctions, type Closable, type Served } from './lifecycle.js';
export type { RunningServer } from './server.js';
