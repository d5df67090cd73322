/**
 * Hosts functions in this process: one (a bundle, as Knative runs it) or all
 * of them (`npm start`). Creates each service context once, mounts HTTP and
 * CloudEvent functions on Fastify and RPCs on gRPC, and shuts down gracefully.
 */
import type { Server as NetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { CloudEvent } from 'cloudevents';
import { PolarisError, ErrorKind } from '../errors.js';
import type { AnyFunction, EventFunction, FunctionEntry, ServiceContext } from './function.js';
import { acceptAnyBody, eventsFromHttp } from './cloudevents.js';
import { createGrpcHost, listenGrpcAndHttp, type BoundGrpcFunction } from './grpc-server.js';
import { createHttpApp } from './http.js';
import type { ProcessRuntime } from './runtime.js';

export interface HostedFunction {
  entry: FunctionEntry;
  fn: AnyFunction;
}

export interface HostOptions {
  runtime: ProcessRuntime;
  functions: readonly HostedFunction[];
  /** Interface to bind. Default 0.0.0.0 (all), as in a container. */
  host?: string;
  /** HTTP port: HTTP functions, CloudEvent functions, health and metrics. */
  httpPort?: number;
  /** h2c port for the RPCs; it also answers HTTP/1.1 health and metrics. */
  grpcPort?: number;
  /**
   * Where CloudEvents are received: `root` for a single event function (Knative
   * delivers to `/`), `events` for `POST /events`, routed by type to every
   * subscribed function as a Broker with Triggers would.
   */
  eventRoute: 'root' | 'events';
}

export interface FunctionHost {
  app: FastifyInstance;
  /** Ports actually bound (useful when 0 was asked for). */
  httpPort?: number;
  grpcPort?: number;
  /** Delivers one event to every function subscribed to its type. */
  dispatch(event: CloudEvent<unknown>): Promise<number>;
  /** Stops accepting, lets in-flight work finish (up to the grace period), closes resources. */
  close(): Promise<void>;
}

export async function startHost(options: HostOptions): Promise<FunctionHost> {
  const { runtime } = options;
  const contexts = new Map<ServiceContext<unknown>, unknown>();
  for (const { fn } of options.functions) {
    if (!contexts.has(fn.context)) contexts.set(fn.context, await fn.context.create(runtime));
  }
  let draining = false;
  const readiness = async () => {
    if (draining) throw new Error('shutting down');
    for (const [definition, context] of contexts) await definition.ready?.(context);
  };

  const app = createHttpApp({ logger: runtime.logger, metrics: runtime.metrics, readiness });
  const eventFunctions = options.functions.filter((f): f is HostedFunction & { fn: EventFunction<unknown> } => f.fn.kind === 'event');

  const dispatch = async (event: CloudEvent<unknown>): Promise<number> => {
    const targets = eventFunctions.filter(({ entry }) => entry.subscribes?.includes(event.type));
    for (const { fn } of targets) await fn.handle(event, contexts.get(fn.context));
    return targets.length;
  };

  for (const { fn } of options.functions) {
    if (fn.kind === 'http') await app.register(async (scope) => fn.routes(scope, contexts.get(fn.context)));
  }
  if (eventFunctions.length > 0 || options.eventRoute === 'events') {
    const path = options.eventRoute === 'root' ? '/' : '/events';
    await app.register(async (scope) => {
      acceptAnyBody(scope);
      scope.post(path, async (request, reply) => {
        const events = eventsFromHttp(request.headers, request.body);
        for (const event of events) {
          const delivered = await dispatch(event);
          if (delivered === 0 && options.eventRoute === 'root') {
            throw new PolarisError(ErrorKind.Validation, 'unsupported_event_type', `type: this function does not handle '${event.type}'`);
          }
        }
        return reply.code(202).send({ accepted: events.length });
      });
    });
  }

  const grpcFunctions: BoundGrpcFunction[] = options.functions.flatMap(({ fn }) =>
    fn.kind === 'grpc' ? [{ fn, context: contexts.get(fn.context) }] : [],
  );
  const grpcHost = grpcFunctions.length > 0 ? createGrpcHost(grpcFunctions, runtime) : undefined;

  const host = options.host ?? '0.0.0.0';
  const listeners: NetServer[] = [];
  let httpPort: number | undefined;
  let grpcPort: number | undefined;
  await app.ready();
  if (options.httpPort !== undefined) {
    await app.listen({ port: options.httpPort, host });
    httpPort = portOf(app.server);
  }
  if (grpcHost && options.grpcPort !== undefined) {
    const listener = await listenGrpcAndHttp(options.grpcPort, host, grpcHost.server, app.server);
    listeners.push(listener);
    grpcPort = portOf(listener);
  }

  const close = async () => {
    if (draining) return;
    draining = true;
    grpcHost?.health.setStatus('', 'NOT_SERVING');
    for (const listener of listeners) listener.close();
    const grace = runtime.config.shutdownGraceMs;
    await Promise.all([
      app.close(),
      grpcHost &&
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            grpcHost.server.forceShutdown();
            resolve();
          }, grace);
          grpcHost.server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ]);
    await runtime.close();
  };

  return { app, httpPort, grpcPort, dispatch, close };
}

function portOf(server: { address(): unknown }): number | undefined {
  const address = server.address();
  return typeof address === 'object' && address !== null ? (address as { port: number }).port : undefined;
}
