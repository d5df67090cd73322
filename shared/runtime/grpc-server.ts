/**
 * The gRPC side of the runtime: a grpc-js server carrying the functions' RPCs,
 * `grpc.health.v1` and server reflection, on one port that answers both h2c
 * gRPC and plain HTTP/1.1 (health, metrics), since Knative lets a container
 * declare only one port. Needs no web framework, so gRPC bundles stay small.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Counter, Histogram } from 'prom-client';
import { AuditLog, AuditWriter } from '../audit/index.js';
import { assertOperator } from '../auth.js';
import { ErrorKind, PolarisError, toPublicError, ValidationError } from '../errors.js';
import { HealthService, serviceNameForRpc, toGrpcStatus } from '../grpc/index.js';
import type { GrpcFunction } from './function.js';
import { opsRequestHandler } from './ops.js';
import type { RunningServer, ServerOptions } from './server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AuditDeclaration = NonNullable<GrpcFunction<any, any, any>['audit']>;

/** Serves the gRPC functions among `options.functions`, with health, reflection and the ops routes, on one port. */
export async function startGrpcServer(options: ServerOptions): Promise<RunningServer> {
  const { runtime, contexts } = options;
  const functions = options.functions
    .map(({ fn }) => fn)
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    .filter((fn): fn is GrpcFunction<any, any, any> => fn.kind === 'grpc');
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

  // Opened on the first audited call: a process whose functions declare no `audit` needs no database for it.
  const auditWriter = () =>
    runtime.resource('audit-writer', () => new AuditWriter(new AuditLog(runtime.database()), runtime.config.adminToken), () => {});
  /**
   * The mutation is done; its entry is part of the answer. When the entry
   * cannot be written the call answers INTERNAL, so a caller never sees a
   * success the log does not show.
   */
  const writeAudit = async (method: string, declare: AuditDeclaration, request: unknown, response: unknown, metadata: grpc.Metadata) => {
    try {
      const declared = declare(request, response);
      if (declared) await auditWriter().write(declared, metadata);
    } catch (err) {
      runtime.logger.error({ err, method }, 'audit entry not written; the call fails');
      throw new PolarisError(ErrorKind.Internal, 'audit_not_written', 'internal error: the change was made but could not be written to the audit log', { cause: err });
    }
  };

  for (const fn of functions) {
    const method = fn.method.path;
    const context = contexts.of(fn);
    const handler: grpc.handleUnaryCall<unknown, unknown> = (call, callback) => {
      const stopTimer = handling.startTimer({ method });
      // Called in place, not assigned to a name: see "keepNames" in scripts/bench/LOG.md.
      (async () => {
        if (call.request === undecodable) throw new ValidationError([{ field: 'request', message: 'is not a valid protobuf message for this RPC' }]);
        if (fn.operatorOnly) assertOperator(call.metadata, runtime.config.adminToken);
        const response = await fn.handle(call.request, context, call.metadata);
        if (fn.audit) await writeAudit(method, fn.audit, call.request, response, call.metadata);
        return response;
      })().then(
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
  const health = new HealthService(Object.fromEntries([['', 'SERVING'], ...services.map((s) => [s, 'SERVING'])]));
  health.addToServer(server);
  addReflectionOnFirstCall(server, services);

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

/**
 * Server reflection, registered at start but built on its first call:
 * @grpc/reflection indexes the whole FileDescriptorSet with protobufjs, a
 * third of a gRPC bundle's cold start, for a service only tools call. Its
 * codecs are looked up when used: grpc-js decodes a call's messages only as
 * the handler reads them, and the handler starts once reflection is built.
 */
function addReflectionOnFirstCall(server: grpc.Server, services: string[]): void {
  const methods = new Map<string, { definition: grpc.MethodDefinition<unknown, unknown>; handler: grpc.handleBidiStreamingCall<unknown, unknown> }>();
  let building: Promise<void> | undefined;
  const build = async () => {
    const [{ ReflectionService }, { loadFileDescriptorSetFromBuffer }, { descriptorSetBase64 }] = await Promise.all([
      import('@grpc/reflection'),
      import('@grpc/proto-loader'),
      import('../../proto/gen/descriptor-set.js'),
    ]);
    const descriptors = loadFileDescriptorSetFromBuffer(Buffer.from(descriptorSetBase64, 'base64'));
    new ReflectionService(descriptors, { services }).addToServer({
      addService(service, implementation) {
        for (const [name, definition] of Object.entries(service)) {
          methods.set(definition.path, { definition, handler: implementation[name] as grpc.handleBidiStreamingCall<unknown, unknown> });
        }
      },
    });
  };
  for (const version of ['v1', 'v1alpha']) {
    const path = `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`;
    const built = () => methods.get(path)!;
    const definition: grpc.MethodDefinition<unknown, unknown> = {
      path,
      requestStream: true,
      responseStream: true,
      requestSerialize: (message) => built().definition.requestSerialize(message),
      requestDeserialize: (bytes) => built().definition.requestDeserialize(bytes),
      responseSerialize: (message) => built().definition.responseSerialize(message),
      responseDeserialize: (bytes) => built().definition.responseDeserialize(bytes),
    };
    const handler: grpc.handleBidiStreamingCall<unknown, unknown> = (call) => {
      building ??= build();
      building.then(
        () => built().handler(call),
        (err: unknown) => call.emit('error', err),
      );
    };
    server.addService({ ServerReflectionInfo: definition }, { ServerReflectionInfo: handler });
  }
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
  // noDelay: gRPC writes small frames; with Nagle's algorithm each RPC
  // waited ~40 ms on loopback for a delayed ACK.
  const listener = createServer({ noDelay: true }, (socket: Socket) => {
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      // Either server reads the first bytes again: HTTP/2 takes what a socket
      // has buffered before it reads the native handle, so gRPC keeps the
      // socket itself (a JS stream in between was a tenth of each RPC's CPU).
      socket.unshift(chunk);
      if (startsLikeHttp2(chunk)) {
        injector.injectConnection(socket);
      } else {
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
