/**
 * GrpcClients.call over real HTTP/2 to a grpc-js server: answers, errors
 * that name their RPC, and Node's stack traces left as they were.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolarisError } from '../errors.js';
import { createLogger } from '../logger.js';
import { GrpcClients } from './clients.js';

interface Echo {
  text: string;
}

// The serializer upper-cases the text, so an answer shows it went over the wire.
const json = {
  serialize: (value: Echo) => Buffer.from(JSON.stringify({ text: value.text.toUpperCase() })),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as Echo,
};
const echo: grpc.MethodDefinition<Echo, Echo> = {
  path: '/polaris.test.v1.Test/Echo',
  requestStream: false,
  responseStream: false,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
};

const server = new grpc.Server();
let clients: GrpcClients;

beforeAll(async () => {
  server.addService({ Echo: echo } as grpc.ServiceDefinition, {
    Echo: (call: grpc.ServerUnaryCall<Echo, Echo>, callback: grpc.sendUnaryData<Echo>) =>
      call.request.text === 'MISSING' ? callback({ code: grpc.status.NOT_FOUND, details: 'no such text' }) : callback(null, call.request),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  clients = new GrpcClients({ address: `127.0.0.1:${port}`, addressTemplate: '' });
});

afterAll(() => {
  clients?.close();
  server.forceShutdown();
});

describe('GrpcClients.call', () => {
  it('answers with the RPC’s response, and leaves Error.stackTraceLimit as it found it', async () => {
    const limit = Error.stackTraceLimit;
    expect(await clients.call(echo, { text: 'hello' })).toEqual({ text: 'HELLO' });
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('rejects with the callee’s error, naming the RPC, and a log line shows it', async () => {
    const error = await clients.call(echo, { text: 'missing' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PolarisError);
    expect(error).toMatchObject({ kind: 'NOT_FOUND', message: 'no such text', rpc: echo.path, cause: { code: grpc.status.NOT_FOUND } });
    const lines: string[] = [];
    const logger = createLogger({ service: 'test', revision: 'test', level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    logger.error({ err: error }, 'request failed');
    expect(JSON.parse(lines[0]!)).toMatchObject({ err: { kind: 'NOT_FOUND', rpc: echo.path } });
  });

  it('rejects a request it cannot serialize as an internal error that names the RPC', async () => {
    const limit = Error.stackTraceLimit;
    const error = await clients.call(echo, { text: undefined as unknown as string }).catch((err: unknown) => err);
    expect(error).toMatchObject({ kind: 'INTERNAL', rpc: echo.path, cause: { code: grpc.status.INTERNAL } });
    expect((error as Error).message).toMatch(/^Request message serialization failure/);
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
