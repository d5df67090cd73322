/**
 * The HTTP side of the runtime: HTTP functions' routes and CloudEvent
 * functions on one Fastify app, with health and metrics.
 */
import type { CloudEvent } from 'cloudevents';
import type { FastifyInstance } from 'fastify';
import { ErrorKind, PolarisError } from '../errors.js';
import { acceptAnyBody, eventsFromHttp } from './cloudevents.js';
import type { EventFunction, FunctionEntry } from './function.js';
import { createHttpApp } from './http.js';
import type { RunningServer, ServerOptions } from './server.js';

export interface HttpServerOptions extends ServerOptions {
  /**
   * Where CloudEvents are received: `root` for a single event function
   * (Knative delivers to `/`), `events` for `POST /events`, routed by type to
   * every subscribed function as a Broker with Triggers would. Default `root`.
   */
  eventRoute?: 'root' | 'events';
}

export interface RunningHttpServer extends RunningServer {
  app: FastifyInstance;
  /** Delivers one event to every function subscribed to its type; returns how many. */
  dispatch(event: CloudEvent<unknown>): Promise<number>;
  /** Delivers one event to one event function, as the delivery process would over HTTP. */
  deliver(functionName: string, event: CloudEvent<unknown>): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { runtime, contexts } = options;
  const eventRoute = options.eventRoute ?? 'root';
  const app = createHttpApp({
    logger: runtime.logger,
    metrics: runtime.metrics,
    readiness: options.readiness,
    routeSchemas: options.functions.some(({ entry }) => entry.routeSchemas === true),
  });
  const eventFunctions = options.functions.filter(
    (hosted): hosted is { entry: FunctionEntry; fn: EventFunction<unknown> } => hosted.fn.kind === 'event',
  );

  const dispatch = async (event: CloudEvent<unknown>): Promise<number> => {
    const targets = eventFunctions.filter(({ entry }) => entry.subscribes?.includes(event.type));
    for (const { fn } of targets) await fn.handle(event, contexts.of(fn));
    return targets.length;
  };

  const deliver = async (functionName: string, event: CloudEvent<unknown>): Promise<void> => {
    const target = eventFunctions.find(({ entry }) => entry.name === functionName && entry.subscribes?.includes(event.type));
    if (!target) throw new PolarisError(ErrorKind.Validation, 'unsupported_event_type', `type: ${functionName} does not handle '${event.type}'`);
    await target.fn.handle(event, contexts.of(target.fn));
  };

  for (const { fn } of options.functions) {
    if (fn.kind === 'http') await app.register(async (scope) => fn.routes(scope, contexts.of(fn)));
  }
  if (eventFunctions.length > 0 || eventRoute === 'events') {
    await app.register(async (scope) => {
      acceptAnyBody(scope);
      scope.post(eventRoute === 'root' ? '/' : '/events', async (request, reply) => {
        const events = eventsFromHttp(request.headers, request.body);
        for (const event of events) {
          const delivered = await dispatch(event);
          if (delivered === 0 && eventRoute === 'root') {
            throw new PolarisError(ErrorKind.Validation, 'unsupported_event_type', `type: this function does not handle '${event.type}'`);
          }
        }
        return reply.code(202).send({ accepted: events.length });
      });
    });
  }

  await app.listen({ port: options.port, host: options.host });
  return {
    app,
    dispatch,
    deliver,
    port: (app.server.address() as { port: number }).port,
    async close(graceMs) {
      const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
      await app.close();
      clearTimeout(timer);
    },
  };
}
