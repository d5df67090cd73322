/**
 * The HTTP side of the runtime: HTTP functions' routes and CloudEvent
 * functions on one Fastify app, with health and metrics. The host serves
 * every HTTP and event function on it; an event function's own bundle
 * receives its events without Fastify (shared/runtime/event-server.ts).
 */
import type { FastifyInstance } from 'fastify';
import { acceptAnyBody } from './cloudevents.js';
import { eventDelivery, type EventDelivery } from './event-delivery.js';
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

export interface RunningHttpServer extends RunningServer, Pick<EventDelivery, 'dispatch' | 'deliver'> {
  app: FastifyInstance;
}

/** How often a closing server closes the connections that went idle. */
const idleSweepMs = 50;

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { runtime, contexts } = options;
  const eventRoute = options.eventRoute ?? 'root';
  const app = createHttpApp({
    logger: runtime.logger,
    metrics: runtime.metrics,
    readiness: options.readiness,
    routeSchemas: options.functions.some(({ entry }) => entry.routeSchemas === true),
  });
  const events = eventDelivery(options.functions, contexts);

  for (const { fn } of options.functions) {
    if (fn.kind === 'http') await app.register(async (scope) => fn.routes(scope, contexts.of(fn)));
  }
  if (events.hostsEventFunctions || eventRoute === 'events') {
    await app.register(async (scope) => {
      acceptAnyBody(scope);
      scope.post(eventRoute === 'root' ? '/' : '/events', async (request, reply) => {
        const accepted = await events.receive(request.headers, request.body, { refuseUnhandled: eventRoute === 'root' });
        return reply.code(202).send({ accepted });
      });
    });
  }

  await app.listen({ port: options.port, host: options.host });
  return {
    app,
    dispatch: events.dispatch,
    deliver: events.deliver,
    port: (app.server.address() as { port: number }).port,
    async close(graceMs) {
      const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
      // Fastify closes the connections idle when it begins; one whose request
      // is in flight goes idle once answered and, kept alive, would hold the
      // close until the grace ends.
      const sweep = setInterval(() => app.server.closeIdleConnections(), idleSweepMs);
      await app.close();
      clearTimeout(timer);
      clearInterval(sweep);
    },
  };
}
