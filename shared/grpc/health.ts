/**
 * The standard `grpc.health.v1.Health` service (Check, Watch, List), answering
 * as grpc-health-check does. That package parses health.proto with protobufjs
 * as it loads, a tenth of a gRPC bundle's cold start; these messages are a
 * field or two each, so their codecs are written out here instead.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import * as grpc from '@grpc/grpc-js';

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`, by number. */
const servingStatuses = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
export type ServingStatus = (typeof servingStatuses)[number];

/** grpc-health-check's cap on List, so a response stays small. */
const maxListedServices = 100;

export class HealthService {
  private readonly statuses: Map<string, ServingStatus>;
  private readonly watchers = new Map<string, Set<(status: ServingStatus) => void>>();

  constructor(initial: Record<string, ServingStatus>) {
    this.statuses = new Map(Object.entries(initial));
  }

  setStatus(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const notify of this.watchers.get(service) ?? []) notify(status);
  }

  addToServer(server: Pick<grpc.Server, 'addService'>): void {
    const check: grpc.handleUnaryCall<CheckRequest, ServingStatus> = (call, callback) => {
      const { service } = call.request;
      const status = this.statuses.get(service);
      if (status) callback(null, status);
      else callback({ code: grpc.status.NOT_FOUND, details: `Health status unknown for service ${service}` });
    };
    const watch: grpc.handleServerStreamingCall<CheckRequest, ServingStatus> = (call) => {
      const { service } = call.request;
      const notify = (status: ServingStatus) => call.write(status);
      const watching = this.watchers.get(service) ?? new Set();
      this.watchers.set(service, watching.add(notify));
      call.on('cancelled', () => watching.delete(notify));
      call.write(this.statuses.get(service) ?? 'SERVICE_UNKNOWN');
    };
    const list: grpc.handleUnaryCall<unknown, Map<string, ServingStatus>> = (_call, callback) => {
      if (this.statuses.size > maxListedServices) callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'Too many services to list.' });
      else callback(null, this.statuses);
    };
    server.addService(healthService, { check, watch, list });
  }
}

const healthService = {
  check: method('Check', false, decodeCheckRequest, writeStatus),
  watch: method('Watch', true, decodeCheckRequest, writeStatus),
  list: method('List', false, () => ({}), writeListResponse),
};

function method<Request, Response>(
  name: string,
  responseStream: boolean,
  decodeRequest: (bytes: Buffer) => Request,
  writeResponse: (response: Response) => BinaryWriter,
): grpc.MethodDefinition<Request, Response> {
  return {
    path: `/grpc.health.v1.Health/${name}`,
    requestStream: false,
    responseStream,
    requestDeserialize: decodeRequest,
    responseSerialize: (response) => Buffer.from(writeResponse(response).finish()),
    requestSerialize: clientSide,
    responseDeserialize: clientSide,
  };
}

/** A client's halves of a method, which grpc-js's type asks for: this service is only served here, never called. */
function clientSide(): never {
  throw new Error('grpc.health.v1 is served here, not called');
}

/**
 * HealthCheckRequest: `string service = 1`. An object, not the bare string:
 * grpc-js takes a falsy request ('' asks for the whole server) for none.
 */
interface CheckRequest {
  service: string;
}

function decodeCheckRequest(bytes: Buffer): CheckRequest {
  const reader = new BinaryReader(bytes);
  let service = '';
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) service = reader.string();
    else reader.skip(wireType, field);
  }
  return { service };
}

/** HealthCheckResponse: `ServingStatus status = 1`, as a message of its own or into a List entry's `writer`. */
function writeStatus(status: ServingStatus, writer = new BinaryWriter()): BinaryWriter {
  return writer.tag(1, WireType.Varint).int32(servingStatuses.indexOf(status));
}

/** HealthListResponse: `map<string, HealthCheckResponse> statuses = 1`, an entry message (key 1, value 2) per service. */
function writeListResponse(statuses: Map<string, ServingStatus>): BinaryWriter {
  const writer = new BinaryWriter();
  for (const [service, status] of statuses) {
    writer.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(service);
    writeStatus(status, writer.tag(2, WireType.LengthDelimited).fork()).join().join();
  }
  return writer;
}
