/**
 * What each GraphQL request carries to its resolvers: the gateway, the
 * caller (worked out once, on first need) and the client's address, and the
 * metadata of the RPCs made on the caller's behalf.
 */
import { Metadata } from '@grpc/grpc-js';
import { UnauthenticatedError } from '../../shared/errors.js';
import type { Caller } from './auth.js';
import type { GatewayContext } from './context.js';
import { auditMetadata } from '../../shared/audit/index.js';

/** A request's cost and the most one may cost; worked out by functions/gateway/cost.ts. */
export interface RequestCost {
  /** RPCs the request may make, by the fields it selects. */
  requested: number;
  /** The most a request may cost (`POLARIS_GRAPHQL_MAX_COST`). */
  limit: number;
}

export interface RequestContext {
  gateway: GatewayContext;
  caller(): Promise<Caller | undefined>;
  /** shared/client-address.ts; empty when unknown. */
  clientAddress(): string;
  /** Set before the first resolver runs, by the cost hook (functions/gateway/cost.ts); the request was refused when over its limit. */
  cost?: RequestCost;
}

/** The caller of a field whose rule (functions/gateway/access.ts) already let it through. */
export async function callerOf(context: RequestContext): Promise<Caller> {
  const caller = await context.caller();
  if (!caller) throw new UnauthenticatedError('send X-API-Key, or Authorization: Bearer <token>');
  return caller;
}

/**
 * Metadata of a mutation made for the caller: the operator token (the
 * gateway has decided the caller may, and Identity's and the other services'
 * mutations are the operator's to make), and who and where the caller is,
 * for the audit log.
 */
export async function mutationMetadata(context: RequestContext): Promise<Metadata> {
  const caller = await callerOf(context);
  const metadata = context.gateway.operatorMetadata.clone();
  metadata.set(auditMetadata.actor, caller.actor);
  const address = context.clientAddress();
  if (address) metadata.set(auditMetadata.clientAddress, address);
  return metadata;
}

/**
 * Metadata of a mutation anyone may make (sign-in, a token's redemption):
 * no operator token and no actor (Identity names the user the token or
 * password proved), only the client's address.
 */
export function anonymousMetadata(context: RequestContext): Metadata {
  const metadata = new Metadata();
  const address = context.clientAddress();
  if (address) metadata.set(auditMetadata.clientAddress, address);
  return metadata;
}
