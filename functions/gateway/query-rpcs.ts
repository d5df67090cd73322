/**
 * A query makes each distinct RPC once: the same method with the same
 * request and metadata, asked again by another field of the same request
 * (120 aliases of `usage(metric: "api_calls")`, or one organization reached
 * twice), is answered by the first call. Only queries, and only within one
 * request: a mutation's reads must see the writes before them (setBillingTerms
 * reads the terms it then changes), and another request may come after a change.
 */
import type { Metadata, MethodDefinition } from '@grpc/grpc-js';
import type { MercuriusContext, preExecutionHookHandler } from 'mercurius';
import type { GrpcClients } from '../../shared/grpc/index.js';
import { operationOf } from './cost.js';
import type { RequestContext } from './request.js';

/** `clients` whose `call` answers a call it has made already from its first answer (or failure). */
export function dedupingClients(clients: GrpcClients): GrpcClients {
  const calls = new Map<string, Promise<unknown>>();
  // Everything but call is the process's clients' own.
  const deduping = Object.create(clients) as GrpcClients;
  deduping.call = <Req, Res>(method: MethodDefinition<Req, Res>, request: Req, metadata?: Metadata): Promise<Res> => {
    const key = `${method.path}\n${method.requestSerialize(request).toString('base64')}\n${metadata ? JSON.stringify(metadata.getMap()) : ''}`;
    let call = calls.get(key);
    if (!call) {
      call = clients.call(method, request, metadata);
      calls.set(key, call);
    }
    return call as Promise<Res>;
  };
  return deduping;
}

/** A Mercurius preExecution hook: a query's resolvers call the services through `dedupingClients`. */
export const dedupeQueryRpcs: preExecutionHookHandler = async (_schema, document, context: MercuriusContext) => {
  if (operationOf(document, context)?.operation !== 'query') return;
  const request = context as unknown as RequestContext;
  request.gateway = { ...request.gateway, clients: dedupingClients(request.gateway.clients) };
};
