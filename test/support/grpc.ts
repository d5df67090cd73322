/** gRPC helpers for tests: promisified calls and a reflection client. */
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PricingModel, type SetPlanRequest } from '../../proto/gen/polaris/billing/v1/billing.js';
import { WindowSize, type GetUsageSummaryRequest, type RecordUsageRequest } from '../../proto/gen/polaris/usage/v1/usage.js';

/** Calls a (callback-style) client method and resolves with the response or rejects with the ServiceError. */
export function unary<Req, Res>(
  call: (request: Req, callback: (err: grpc.ServiceError | null, response: Res) => void) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => call(request, (err, response) => (err ? reject(err) : resolve(response))));
}

/** The operator token the test hosts and bundles are started with. */
export const testAdminToken = 'test-admin-token-0123456789abcdef';
/** Signs the access tokens of sessions in tests' hosts. */
export const testSessionSecret = 'test-session-secret-0123456789abcdef';
/** Seals webhook signing secrets in tests' hosts. */
export const testWebhookSecretKey = 'test-webhook-secret-key-0123456789abcdef';

/**
 * A plain gRPC client, typed by the ts-proto method definitions; rejects with
 * the raw ServiceError. Sends the test operator token unless told otherwise.
 */
export function rpcClient(address: string, options: { adminToken?: string | null } = {}) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const token = options.adminToken === undefined ? testAdminToken : options.adminToken;
  return {
    call<Req, Res>(method: grpc.MethodDefinition<Req, Res>, request: Req): Promise<Res> {
      const metadata = new grpc.Metadata();
      if (token !== null) metadata.set('authorization', `Bearer ${token}`);
      return new Promise((resolve, reject) =>
        client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, (err, response) =>
          err ? reject(err) : resolve(response!),
        ),
      );
    },
    close: () => client.close(),
  };
}

/** The gRPC error a call rejected with, or a failure when it succeeded. */
export async function grpcError(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

/** One request to a server's gRPC server reflection (v1), and its answer, both as proto-loader shapes them (snake_case). */
async function askReflection(address: string, request: object): Promise<any> {
  const require = createRequire(import.meta.url);
  const protoPath = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');
  const definition = grpc.loadPackageDefinition(loadSync(protoPath, { keepCase: true })) as any;
  const Reflection = definition.grpc.reflection.v1.ServerReflection;
  const client = new Reflection(address, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) => {
      const stream = client.ServerReflectionInfo();
      stream.on('data', (response: unknown) => {
        resolve(response);
        stream.end();
      });
      stream.on('error', reject);
      stream.write(request);
    });
  } finally {
    client.close();
  }
}

/** The services a server lists through gRPC server reflection, as grpcurl's `list` shows them. */
export async function listServicesByReflection(address: string): Promise<string[]> {
  const response = await askReflection(address, { list_services: '' });
  return response.list_services_response.service.map((s: { name: string }) => s.name);
}

/** The names of the files reflection answers for a symbol: the one declaring it, then those it needs. */
export async function filesBySymbol(address: string, symbol: string): Promise<string[]> {
  const response = await askReflection(address, { file_containing_symbol: symbol });
  if (response.error_response) throw new Error(`reflection: ${response.error_response.error_message} (code ${response.error_response.error_code})`);
  return response.file_descriptor_response.file_descriptor_proto.map((bytes: Buffer) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

/** `grpc.health.v1.Health/Check` for `service` ('' is the whole server): SERVING, NOT_SERVING, … */
export async function checkHealth(address: string, service = ''): Promise<string> {
  const require = createRequire(import.meta.url);
  const protoPath = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
  const definition = grpc.loadPackageDefinition(loadSync(protoPath, { keepCase: true, enums: String })) as any;
  const client = new definition.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  try {
    const response = await unary<{ service: string }, { status: string }>(client.Check.bind(client), { service });
    return response.status;
  } finally {
    client.close();
  }
}

/** A GetUsageSummary request with every field the test leaves out at its default. */
export function usageSummaryRequest(fields: Partial<GetUsageSummaryRequest> & { organizationId: string }): GetUsageSummaryRequest {
  return { metric: '', from: '', to: '', windowSize: WindowSize.WINDOW_SIZE_UNSPECIFIED, timeZone: '', groupBy: [], where: [], ...fields };
}

/** A RecordUsage request with every field the test leaves out at its default. */
export function recordUsageRequest(fields: Partial<RecordUsageRequest> & { organizationId: string; metric: string }): RecordUsageRequest {
  return { quantity: '', timestamp: '', idempotencyKey: '', properties: {}, ...fields };
}

/** A SetPlan request: a PER_UNIT price from the current period unless the test says otherwise. */
export function setPlanRequest(fields: Partial<SetPlanRequest> & { organizationId: string; metric: string }): SetPlanRequest {
  return {
    name: fields.metric,
    unitPrice: '',
    freeQuota: '',
    currency: '',
    model: PricingModel.PRICING_MODEL_UNSPECIFIED,
    tiers: [],
    packageSize: '',
    packagePrice: '',
    where: [],
    effectiveFrom: '',
    ...fields,
  };
}
