/**
 * The GraphQL floor's RPCs (scripts/bench/baseline-server.ts), on a worker
 * thread of the baseline server as Polaris's RPCs are on one of `npm start`:
 * two unary gRPC methods over HTTP/2, each answering from one PostgreSQL round
 * trip, with JSON for their messages. The least a gateway that asks two
 * services, each its database, can cost here.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import postgres from 'postgres';
import { moduleWorker } from '../local/module-worker.js';

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as unknown,
};
const unary = (name: string) => ({
  path: `/polaris.bench.Floor/${name}`,
  requestStream: false,
  responseStream: false,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
const floorService = { usage: unary('Usage'), invoices: unary('Invoices') } as const;

interface FloorRequest {
  organizationId: string;
}
export interface FloorClient {
  usage(request: FloorRequest): Promise<{ total: string }>;
  invoices(request: FloorRequest): Promise<{ invoices: { id: string; amount: string }[] }>;
  close(): void;
}

/** Starts the RPCs on a worker thread (port `port`, database `databaseUrl`) and returns a client of them. */
export async function startFloorRpcs(port: number, databaseUrl: string): Promise<FloorClient> {
  // The thread runs this same file.
  const worker = moduleWorker(import.meta.url, { port, databaseUrl });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  worker.unref();
  const Client = grpc.makeGenericClientConstructor(floorService as never, 'Floor');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<string, (request: unknown, done: (err: unknown, value: unknown) => void) => void> & grpc.Client;
  const call = <R>(method: string, request: unknown) =>
    new Promise<R>((resolve, reject) => client[method]!(request, (err, value) => (err ? reject(err) : resolve(value as R))));
  return {
    usage: (request) => call('usage', request),
    invoices: (request) => call('invoices', request),
    close: () => client.close(),
  };
}

if (!isMainThread && workerData?.databaseUrl) {
  const { port, databaseUrl } = workerData as { port: number; databaseUrl: string };
  const sql = postgres(databaseUrl, { max: 10, onnotice: () => {} });
  const server = new grpc.Server();
  const answer = (query: Promise<unknown>, done: grpc.sendUnaryData<unknown>) => query.then((value) => done(null, value), (err: Error) => done(err));
  server.addService(floorService as never, {
    usage: (call: grpc.ServerUnaryCall<FloorRequest, unknown>, done: grpc.sendUnaryData<unknown>) =>
      answer(sql`select ${call.request.organizationId}::uuid as organization_id, '42'::text as total`.then(([row]) => ({ total: row!.total })), done),
    invoices: (call: grpc.ServerUnaryCall<FloorRequest, unknown>, done: grpc.sendUnaryData<unknown>) =>
      answer(sql`select gen_random_uuid()::text as id, '50.00'::text as amount where ${call.request.organizationId}::uuid is not null`.then((rows) => ({ invoices: [...rows] })), done),
  });
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
    if (err) throw err;
    parentPort!.postMessage('ready');
  });
}
