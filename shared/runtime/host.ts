/**
 * Hosts many functions in one process, wired as in the cluster: HTTP and
 * CloudEvent functions on the HTTP port, every RPC on one h2c port. This is
 * `npm start` and the in-process host of the tests.
 */
import type { CloudEvent } from 'cloudevents';
import type { FastifyInstance } from 'fastify';
import { startGrpcServer } from './grpc-server.js';
import { startHttpServer } from './http-server.js';
import { serveFunctions } from './lifecycle.js';
import type { ProcessRuntime } from './runtime.js';
import type { HostedFunction } from './server.js';

export interface HostOptions {
  runtime: ProcessRuntime;
  functions: readonly HostedFunction[];
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** HTTP functions, `POST /events`, health and metrics. */
  httpPort: number;
  /**
   * Every RPC; also answers HTTP/1.1 health and metrics. Undefined: no gRPC
   * server here (`npm start` serves its RPCs from a thread of their own).
   */
  grpcPort?: number;
}

export interface FunctionHost {
  app: FastifyInstance;
  /** Ports actually bound (useful when 0 was asked for); no gRPC port when none was asked for. */
  httpPort: number;
  grpcPort?: number;
  /** Delivers one event to every function subscribed to its type. */
  dispatch(event: CloudEvent<unknown>): Promise<number>;
  /** Delivers one event to one event function (what the delivery process does over HTTP). */
  deliver(functionName: string, event: CloudEvent<unknown>): Promise<void>;
  /** Stops accepting, lets in-flight work finish (up to the grace period), closes resources. */
  close(): Promise<void>;
}

export async function startHost(options: HostOptions): Promise<FunctionHost> {
  const host = options.host ?? '127.0.0.1';
  const { grpcPort } = options;
  const served = await serveFunctions({
    runtime: options.runtime,
    functions: options.functions,
    servers: [
      (shared) => startHttpServer({ ...shared, host, port: options.httpPort, eventRoute: 'events' }),
      async (shared) => (grpcPort === undefined ? undefined : startGrpcServer({ ...shared, host, port: grpcPort })),
    ],
  });
  const [http, grpc] = served.servers;
  return { app: http.app, httpPort: http.port, grpcPort: grpc?.port, dispatch: http.dispatch, deliver: http.deliver, close: served.close };
}
