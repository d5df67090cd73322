/**
 * GraphQL errors, mapped once: every error carries `extensions.code`
 * (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, RATE_LIMITED or
 * INTERNAL), field names as GraphQL spells them, and nothing internal.
 */
import { GraphQLError, type ASTNode } from 'graphql';
import { graphqlCodeByKind, toPublicError, RateLimitedError, ValidationError, ErrorKind, type FieldProblem, type PolarisError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';

/** The code of every error that is the client's doing, from the one table of codes. */
const badUserInput = graphqlCodeByKind[ErrorKind.Validation];

/**
 * An error in the client's request, before any resolver ran (a limit, a
 * malformed scalar); `fields` names the arguments at fault when a scalar knows them.
 */
export function requestError(message: string, nodes?: ASTNode, fields?: FieldProblem[]): GraphQLError {
  return new GraphQLError(message, { nodes, extensions: { code: badUserInput, ...(fields && { fields }) } });
}

/**
 * For a resolver's RPC call (`.catch(renamingFields({ invitation_id: 'id' }))`):
 * the RPCs name some arguments otherwise than GraphQL does; the rest differ
 * only in case, which {@link formatError} mends.
 */
export function renamingFields(names: Record<string, string>) {
  return (err: unknown): never => {
    if (err instanceof ValidationError) throw new ValidationError(err.problems.map((p) => ({ ...p, field: names[p.field] ?? p.field })));
    throw err;
  };
}

/**
 * `unit_price` → `unitPrice`: RPCs name fields as protobuf does, GraphQL in
 * camelCase. The argument is renamed, and the fields of its list's input
 * objects (`tiers[1].up_to` → `tiers[1].upTo`); in `properties.user_id` the
 * part after the dot is the client's own key, kept as sent.
 */
const camel = (name: string) => name.replace(/^[^.]*|(?<=\]\.)[^.[]*/g, (part) => part.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()));

export interface FormattedError {
  message: string;
  locations?: readonly { line: number; column: number }[];
  path?: readonly (string | number)[];
  /** `cost` and `limit`: a request refused for its cost (functions/gateway/cost.ts). */
  extensions: { code: string; fields?: FieldProblem[]; retryAfter?: number; cost?: number; limit?: number };
}

/** One GraphQL error as the client sees it; internal ones are logged, not shown. */
export function formatError(error: GraphQLError, logger: Logger): FormattedError {
  const original = error.originalError;
  // Where two copies of graphql-js load (under Vitest), Mercurius wraps the gateway's GraphQLError thrown
  // from a hook (a limit's refusal) in one of its own copy: what counts is the inner error's cause.
  if (isGraphqlError(original) && original.originalError && !isGraphqlError(original.originalError)) return formatError(original, logger);
  const place = { ...(error.locations && { locations: error.locations }), ...(error.path && { path: error.path }) };
  if (isRequestRefusal(original)) {
    // Mercurius and Fastify refusing the request itself (no JSON, no query, …): their messages are for clients.
    return { message: original!.message, ...place, extensions: { code: badUserInput } };
  }
  if (!original || isGraphqlError(original)) {
    // Parse and validation errors (and scalar parsing): the client's document is at fault.
    const internal = graphqlCodeByKind[ErrorKind.Internal];
    const code = error.extensions?.code === internal ? internal : badUserInput;
    const fields = fieldsNamed(error);
    return { message: error.message, ...place, extensions: { code, ...(fields && { fields }), ...costOf(error) } };
  }
  const publicError = toPublicError(original);
  if (publicError.kind === ErrorKind.Internal) logger.error({ err: original, path: error.path }, 'graphql resolver failed');
  if (publicError instanceof ValidationError) {
    const fields = publicError.problems.map((p) => ({ field: camel(p.field), message: p.message }));
    return { message: fields.map((p) => `${p.field}: ${p.message}`).join('; '), ...place, extensions: { code: badUserInput, fields } };
  }
  if (publicError.kind === ErrorKind.RateLimited) {
    return { message: publicError.message, ...place, extensions: { code: graphqlCodeByKind[publicError.kind], retryAfter: retryAfterOf(publicError) } };
  }
  return { message: publicError.message, ...place, extensions: { code: graphqlCodeByKind[publicError.kind] } };
}

/**
 * Seconds until a rate-limited caller may try again: the gateway's own
 * limiter's, or those a service's RESOURCE_EXHAUSTED carried (Identity's
 * sign-in lockout: shared/grpc/errors.ts makes it a RateLimitedError again).
 */
function retryAfterOf(error: PolarisError): number {
  return error instanceof RateLimitedError ? error.retryAfterSeconds : 1;
}

/**
 * A GraphQLError of any copy of graphql-js: Mercurius's CommonJS one or the
 * ES module the gateway imports, which are two classes where both load
 * (under Vitest; the bundle has one).
 */
export function isGraphqlError(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError || (error instanceof Error && error.name === 'GraphQLError');
}

/** The arguments a scalar named (requestError's `fields`), however deep graphql-js wrapped its error. */
function fieldsNamed(error: GraphQLError): FieldProblem[] | undefined {
  for (let at: Error | undefined = error; at && isGraphqlError(at); at = at.originalError ?? undefined) {
    if (at.extensions?.fields) return at.extensions.fields as FieldProblem[];
  }
  return undefined;
}

/** The cost and limit of a request refused for its cost; nothing for any other error. */
function costOf(error: GraphQLError): { cost: number; limit: number } | undefined {
  const { cost, limit } = error.extensions ?? {};
  return typeof cost === 'number' && typeof limit === 'number' ? { cost, limit } : undefined;
}

/** Errors of Mercurius or Fastify about the request (status 4xx, codes MER_ERR_…/FST_ERR_…), not our resolvers. */
function isRequestRefusal(error: Error | undefined): boolean {
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  return (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) || (typeof code === 'string' && /^(MER|FST)_ERR_/.test(code));
}

/** True when every error is the client's document being invalid (answer 400). */
export function isRequestError(errors: readonly FormattedError[]): boolean {
  return errors.length > 0 && errors.every((e) => e.extensions.code === badUserInput && !e.path);
}

