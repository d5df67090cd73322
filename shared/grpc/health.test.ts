/**
 * `grpc.health.v1` as a client built from grpc-health-check's own health.proto
 * sees it: the hand-written codecs must agree with the protocol.
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unary } from '../../test/support/grpc.js';
import { HealthService } from './health.js';

const service = 'polaris.identity.v1.Identity';
const health = new HealthService({ '': 'SERVING', [service]: 'SERVING' });
const server = new grpc.Server();
let client: any;

beforeAll(async () => {
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const require = createRequire(import.meta.url);
  const protoPath = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
  const definition = grpc.loadPackageDefinition(loadSync(protoPath, { keepCase: true, enums: String, defaults: true })) as any;
  client = new definition.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  client?.close();
  server.forceShutdown();
});

describe('grpc.health.v1.Health', () => {
  it('checks the whole server and each service, and answers NOT_FOUND for others', async () => {
    expect(await unary(client.Check.bind(client), { service: '' })).toEqual({ status: 'SERVING' });
    expect(await unary(client.Check.bind(client), { service })).toEqual({ status: 'SERVING' });
    await expect(unary(client.Check.bind(client), { service: 'nope.Nope' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: 'Health status unknown for service nope.Nope',
    });
  });

  it('lists every status', async () => {
    expect(await unary(client.List.bind(client), {})).toEqual({ statuses: { '': { status: 'SERVING' }, [service]: { status: 'SERVING' } } });
  });

  it('streams a watched status as it changes, and SERVICE_UNKNOWN for a service it does not know', async () => {
    const seen = (name: string, count: number) =>
      new Promise<string[]>((resolve, reject) => {
        const statuses: string[] = [];
        const call = client.Watch({ service: name });
        call.on('data', ({ status }: { status: string }) => {
          statuses.push(status);
          if (statuses.length === count) {
            call.cancel();
            resolve(statuses);
          }
        });
        call.on('error', (err: grpc.ServiceError) => err.code !== grpc.status.CANCELLED && reject(err));
      });
    const watched = seen(service, 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    health.setStatus(service, 'NOT_SERVING');
    expect(await watched).toEqual(['SERVING', 'NOT_SERVING']);
    expect(await seen('nope.Nope', 1)).toEqual(['SERVICE_UNKNOWN']);
  });
});
