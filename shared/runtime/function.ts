/**
 * The typed contract of a function: what a function module exports, and what
 * the runtime hands it. A function file reads as decode, call the domain,
 * encode; the runtime does transport, health, metrics and shutdown.
 */
import type { MethodDefinition, Metadata } from '@grpc/grpc-js';
import type { CloudEvent } from 'cloudevents';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { RuntimeConfig } from '../config.js';
import type { Sql } from '../database.js';
import type { GrpcClients } from '../grpc/index.js';
import type { Logger } from '../logger.js';

/** What the runtime offers while a service context is created. Resources open on first use. */
export interface Runtime {
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** The process's PostgreSQL pool (opened on first call; needs DATABASE_URL). */
  database(): Sql;
  /**
   * One instance per process of a resource functions share (a connection, a
   * client): `open` runs on the first call for `name`, `close` at shutdown.
   * The runtime itself imports no client library, so a bundle carries only
   * the ones its function uses.
   */
  resource<T>(name: string, open: () => T, close: (resource: T) => Promise<void> | void): T;
  /** Clients for calling other functions over gRPC. */
  readonly clients: GrpcClients;
  /** Runs `close` at shutdown, after the servers stopped and in-flight work finished. */
  onShutdown(close: () => Promise<void> | void): void;
}

/**
 * The domain state the functions of one service share (its repository, caches,
 * clients), created once per process however many of its functions it hosts.
 */
export interface ServiceContext<T> {
  /** The owning service, e.g. `identity`. */
  readonly service: string;
  create(runtime: Runtime): T | Promise<T>;
  /** Resolves when the service can take requests (e.g. its database answers). */
  ready?(context: T): Promise<void>;
}

/**
 * What a mutation did, for the audit log. The runtime adds who (the
 * `polaris-actor` metadata the gateway sends, else `operator` for the
 * operator token, else `system`), when and the client address.
 */
export interface AuditRecord {
  /** `<object>.<verb>`, e.g. `api_key.create`. */
  action: string;
  /** The object acted on, `<kind>:<id>`, e.g. `api_key:8f0c…`. Never a secret. */
  target?: string;
  organizationId?: string;
  /** Overrides the caller as the actor, e.g. `user:<id>` for a sign-in. */
  actor?: string;
}

/** One RPC of a gRPC service. Its registry name is the kebab-case of the RPC name. */
export interface GrpcFunction<Req, Res, Ctx> {
  readonly kind: 'grpc';
  readonly method: MethodDefinition<Req, Res>;
  /** Only callers presenting the operator token (`authorization: Bearer …`) reach `handle`. */
  readonly operatorOnly?: boolean;
  readonly context: ServiceContext<Ctx>;
  handle(request: Req, context: Ctx, metadata: Metadata): Promise<Res>;
  /**
   * A mutation's entry in the audit log, written once `handle` succeeded
   * (several when it changed several objects, written together);
   * undefined (or no `audit`) for reads and for calls that changed nothing.
   * If the entry cannot be written the call fails.
   */
  readonly audit?: (request: Req, response: Res) => AuditRecord | readonly AuditRecord[] | undefined;
}

/** Routes on Fastify, mounted at the same paths locally and in the cluster. */
export interface HttpFunction<Ctx> {
  readonly kind: 'http';
  readonly context: ServiceContext<Ctx>;
  routes(app: FastifyInstance, context: Ctx): void | Promise<void>;
}

/** A CloudEvent handler: receives the event types the registry subscribes it to. */
export interface EventFunction<Ctx> {
  readonly kind: 'event';
  readonly context: ServiceContext<Ctx>;
  handle(event: CloudEvent<unknown>, context: Ctx): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = GrpcFunction<any, any, any> | HttpFunction<any> | EventFunction<any>;
export type FunctionKind = AnyFunction['kind'];

/** Type helpers: they only check and infer, returning their argument. */
export const defineGrpcFunction = <Req, Res, Ctx>(fn: Omit<GrpcFunction<Req, Res, Ctx>, 'kind'>): GrpcFunction<Req, Res, Ctx> => ({ kind: 'grpc', ...fn });
export const defineHttpFunction = <Ctx>(fn: Omit<HttpFunction<Ctx>, 'kind'>): HttpFunction<Ctx> => ({ kind: 'http', ...fn });
export const defineEventFunction = <Ctx>(fn: Omit<EventFunction<Ctx>, 'kind'>): EventFunction<Ctx> => ({ kind: 'event', ...fn });
export const defineServiceContext = <T>(context: ServiceContext<T>): ServiceContext<T> => context;

/**
 * A function as the registry lists it: enough to bundle, host and deploy it
 * without loading its code.
 */
export interface FunctionEntry {
  /** The Knative Service name; for gRPC functions the kebab-case RPC name. */
  readonly name: string;
  /** The domain it belongs to. */
  readonly service: 'identity' | 'usage' | 'billing' | 'payments' | 'webhooks' | 'gateway';
  readonly kind: FunctionKind;
  /** Its module under `functions/`, without extension; the default export is the function. */
  readonly module: string;
  /** CloudEvent types delivered to it (event functions only). */
  readonly subscribes?: readonly string[];
  /**
   * Its start builds much that it keeps (the gateway's GraphQL schema): V8
   * neither optimizes nor grows its young generation until it has started
   * (shared/runtime/code-cache-loader.ts).
   */
  readonly leanStart?: boolean;
  /**
   * Its routes declare JSON schemas (Mercurius's do), so its Fastify app
   * loads Fastify's validator and serializer compilers (Ajv and
   * fast-json-stringify). The other HTTP and event functions validate by hand
   * and never load them (shared/runtime/http.ts).
   */
  readonly routeSchemas?: boolean;
}
