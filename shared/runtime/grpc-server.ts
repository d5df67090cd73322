/**
 * The gRPC side of the runtime: a grpc-js server carrying the functions' RPCs,
 * `grpc.health.v1` and server reflection, on one port that answers both h2c
 * gRPC and plain HTTP/1.1 (health, metrics), since Knative lets a container
 * declare only one port. Needs no web framework, so gRPC bundles stay small.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { Counter, Histogram } from 'prom-client';
import { descriptorSetBase64 } from '../../proto/gen/descriptor-set.js';
import { assertOperator } from '../auth.js';
import { ErrorKind, toPublicError, ValidationError } from '../errors.js';
import { toGrpcStatus } from '../grpc/errors.js';
import { serviceNameForRpc } from '../grpc/names.js';
import type { ServiceContexts } from './contexts.js';
import type { AnyFunction, GrpcFunction, Runtime } from './function.js';
import { opsRequestHandler } from './ops.js';

export interface GrpcServerOptions {
  runtime: Runtime;
  functions: readonly AnyFunction[];
  contexts: ServiceContexts;
  host: string;
  port: number;
  readiness(): Promise<void>;
}

export interface RunningServer {
  /** The port bound (useful when 0 was asked for). */
  port: number;
  /** Stops accepting, then waits for in-flight work up to `graceMs`. */
  close(graceMs: number): Promise<void>;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningServer> {
  const { runtime, contexts } = options;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const functions = options.functions.filter((fn): fn is GrpcFunction<any, any, any> => fn.kind === 'grpc');
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  const handled = new Counter({
    name: 'grpc_server_handled_total',
    help: 'RPCs completed, by method and status code',
    labelNames: ['method', 'code'],
    registers: [runtime.metrics],
  });
  const handling = new Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'RPC duration by method',
    labelNames: ['method'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [runtime.metrics],
  });

  for (const fn of functions) {
    const method = fn.method.path;
    const context = contexts.of(fn);
    const handler: grpc.handleUnaryCall<unknown, unknown> = (call, callback) => {
      const stopTimer = handling.startTimer({ method });
      const answer = async () => {
        if (call.request === undecodable) throw new ValidationError([{ field: 'request', message: 'is not a valid protobuf message for this RPC' }]);
        if (fn.operatorOnly) assertOperator(call.metadata, runtime.config.adminToken);
        return fn.handle(call.request, context, call.metadata);
      };
      answer().then(
        (response) => {
          handled.inc({ method, code: grpc.status[grpc.status.OK] });
          stopTimer();
          callback(null, response);
        },
        (err: unknown) => {
          const status = toGrpcStatus(err);
          if (toPublicError(err).kind === ErrorKind.Internal) runtime.logger.error({ err, method }, 'rpc failed');
          handled.inc({ method, code: grpc.status[status.code ?? grpc.status.UNKNOWN] });
          stopTimer();
          callback(status);
        },
      );
    };
    // grpc-js answers INTERNAL for a request it cannot decode; decoding here
    // lets the handler answer INVALID_ARGUMENT, the client's mistake it is.
    const definition = { ...fn.method, requestDeserialize: (bytes: Buffer) => decodeOrMark(fn.method.requestDeserialize, bytes) };
    // One method per addService call: grpc-js routes by path, so the RPCs of
    // one service can come from separate functions.
    server.addService({ [method]: definition }, { [method]: handler });
  }

  const services = [...new Set(functions.map((fn) => serviceNameForRpc(fn.method.path)))];
  const health = new HealthImplementation(Object.fromEntries([['', 'SERVING'], ...services.map((s) => [s, 'SERVING'])]));
  health.addToServer(server);
  const descriptors = loadFileDescriptorSetFromBuffer(Buffer.from(descriptorSetBase64, 'base64'));
  new ReflectionService(descriptors, { services }).addToServer(server);

  const opsServer = createHttpServer(opsRequestHandler({ metrics: runtime.metrics, readiness: options.readiness }));
  const listener = await listenGrpcAndHttp(options.port, options.host, server, opsServer);

  return {
    port: (listener.address() as { port: number }).port,
    async close(graceMs) {
      for (const service of ['', ...services]) health.setStatus(service, 'NOT_SERVING');
      listener.close();
      opsServer.closeIdleConnections();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      opsServer.closeAllConnections();
    },
  };
}

/** Stands for a request body that is no valid message of the RPC's type. */
const undecodable = Symbol('undecodable request');

function decodeOrMark(decode: (bytes: Buffer) => unknown, bytes: Buffer): unknown {
  try {
    return decode(bytes);
  } catch {
    return undecodable;
  }
}

/** HTTP/2's connection preface starts with these bytes; no HTTP/1 request does. */
const http2Preface = Buffer.from('PRI * HTTP/2.0');

function startsLikeHttp2(chunk: Buffer): boolean {
  const length = Math.min(chunk.length, http2Preface.length);
  return chunk.subarray(0, length).equals(http2Preface.subarray(0, length));
}

/**
 * The socket as a stream that replays `first` before the rest. Node's HTTP/2
 * reads a net.Socket through its native handle and would miss bytes already
 * read into JavaScript, so the gRPC side gets this JS stream instead.
 */
function replaying(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read: () => socket.resume(),
    write: (chunk, encoding, callback) => socket.write(chunk, encoding, callback),
    final: (callback) => socket.end(callback),
    destroy: (err, callback) => {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  stream.push(first);
  socket.on('data', (data: Buffer) => {
    if (!stream.push(data)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (err) => stream.destroy(err));
  socket.on('close', () => stream.destroy());
  return stream;
}

/**
 * Listens on `port` and hands each connection to gRPC when it opens with the
 * HTTP/2 preface (h2c, prior knowledge), else to the HTTP/1.1 server.
 */
async function listenGrpcAndHttp(
  port: number,
  host: string,
  grpcServer: grpc.Server,
  httpServer: ReturnType<typeof createHttpServer>,
): Promise<NetServer> {
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  // noDelay: gRPC writes small frames through a JS stream; with Nagle's
  // algorithm each RPC waited ~40 ms on loopback for a delayed ACK.
  const listener = createServer({ noDelay: true }, (socket: Socket) => {
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      if (startsLikeHttp2(chunk)) {
        injector.injectConnection(replaying(socket, chunk));
      } else {
        socket.unshift(chunk);
        httpServer.emit('connection', socket);
        socket.resume();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  return listener;
}
