/**
 * Calls other functions over gRPC. Each RPC is its own Knative Service, so the
 * address is per method: the function named after the RPC, at the address
 * template; locally every RPC goes to the one gRPC port.
 */
import { Client, Metadata, credentials, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';
import { withoutStack } from '../errors.js';
import { fromGrpcError } from './errors.js';
import { bindAsLaterNodeDoes } from './http2-request-bind.js';
import { functionNameForRpc } from './names.js';

// Every call below is an HTTP/2 request, which on Node 20 binds a function
// in a way that keeps each call's objects alive until a full collection.
bindAsLaterNodeDoes();

export interface GrpcClientsOptions {
  /** Send every call to this `host:port`; otherwise use `addressTemplate`. */
  address?: string;
  /** `{name}` is replaced with the function's registry name. */
  addressTemplate: string;
  /** Milliseconds before a call fails with DEADLINE_EXCEEDED. Default 10 000. */
  timeoutMs?: number;
}

/**
 * Retries UNAVAILABLE a few times with backoff: a scaled-to-zero function's
 * first call can meet a cold start.
 */
const serviceConfig = JSON.stringify({
  methodConfig: [
    {
      name: [{}],
      retryPolicy: {
        maxAttempts: 4,
        initialBackoff: '0.1s',
        maxBackoff: '1s',
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      },
    },
  ],
});

export class GrpcClients {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly options: GrpcClientsOptions) {}

  /** Where the function serving `method` listens. */
  addressFor(method: MethodDefinition<unknown, unknown>): string {
    return this.options.address ?? this.options.addressTemplate.replaceAll('{name}', functionNameForRpc(method.path));
  }

  /**
   * Calls one unary RPC; rejects with the PolarisError the callee threw, with
   * the RPC's path as `rpc` (logs show it; answers to clients never do).
   */
  call<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, metadata = new Metadata()): Promise<Res> {
    const client = this.clientFor(this.addressFor(method as MethodDefinition<unknown, unknown>));
    const deadline = Date.now() + (this.options.timeoutMs ?? 10_000);
    return new Promise((resolve, reject) => {
      // grpc-js captures the caller's stack trace for every call, for the
      // error of one that fails; at the end of the gateway's async chains
      // that took about 17 µs a call, 5% of its main thread's busy time at
      // 500 GraphQL requests a second (npm run bench, section graphql). The
      // error names the RPC instead. (Failures, a request it cannot
      // serialize included, come to the callback; only a misuse of its API
      // throws here.)
      // The callback is not assigned to a name: see "keepNames" in scripts/bench/LOG.md.
      withoutStack(() =>
        client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, { deadline }, (err: ServiceError | null, response?: Res) =>
          err ? reject(Object.assign(fromGrpcError(err), { rpc: method.path })) : resolve(response as Res),
        ),
      );
    });
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private clientFor(address: string): Client {
    let client = this.clients.get(address);
    if (!client) {
      client = new Client(address, credentials.createInsecure(), {
        'grpc.service_config': serviceConfig,
        'grpc.keepalive_time_ms': 30_000,
      });
      this.clients.set(address, client);
    }
    return client;
  }
}
