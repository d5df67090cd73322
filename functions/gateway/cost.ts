/**
 * A GraphQL request's cost: the RPCs it may make, added up from the fields
 * it selects (functions/gateway/field-costs.ts) before any of them runs, with
 * its variables applied. Every selection counts, aliases and fragments
 * included; a field under a list counts once per item the list may hold; a
 * field skipped by `@skip` or `@include` counts nothing, and so do
 * introspection and `__typename`. A request over the limit is refused before
 * any resolver runs.
 *
 * Identical selections count each time though a query makes their RPC once
 * (functions/gateway/query-rpcs.ts): the cost is known before execution and
 * bounds the RPCs of any request, whatever its parents resolve to, and a
 * client that repeats a field gains nothing by it.
 */
import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLObjectType,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { MercuriusContext, preExecutionHookHandler } from 'mercurius';
import { ErrorKind, graphqlCodeByKind } from '../../shared/errors.js';
import { costOfField, type ListSize } from './field-costs.js';
import type { RequestContext, RequestCost } from './request.js';
import { builtSchema } from './schema.js';

type Variables = Record<string, unknown>;

/** What adding up one operation needs: its variables, the document's fragments, and the fragments on the way down. */
interface Walk {
  variables: Variables;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  expanding: Set<FragmentDefinitionNode | InlineFragmentNode>;
}

/**
 * The cost of running `operationName` (or the document's one operation) of
 * `document`, a document that passed validation, with `variables`. 0 when
 * there is no such operation or the variables do not fit it: execution then
 * refuses the request before any resolver runs.
 */
export function requestCost(document: DocumentNode, variables?: Variables | null, operationName?: string | null): number {
  const operation = getOperationAST(document, operationName);
  return operation ? operationCost(document, operation, variables) : 0;
}

function operationCost(document: DocumentNode, operation: OperationDefinitionNode, variables?: Variables | null): number {
  const root = builtSchema.getRootType(operation.operation);
  if (!root) return 0;
  const coerced = getVariableValues(builtSchema, operation.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) return 0;
  const fragments = new Map(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  return selectionCost(root, operation.selectionSet, { variables: coerced.coerced, fragments, expanding: new Set() });
}

function selectionCost(type: GraphQLObjectType, selectionSet: SelectionSetNode, walk: Walk): number {
  const { expanding } = walk;
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (!isIncluded(selection, walk.variables)) continue;
    if (selection.kind === Kind.FIELD) {
      total += fieldCost(type, selection, walk);
    } else {
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : walk.fragments.get(selection.name.value);
      // Validation refuses a fragment that spreads itself; a cycle here adds nothing rather than recursing forever.
      if (!fragment || expanding.has(fragment)) continue;
      expanding.add(fragment);
      const condition = fragment.typeCondition && builtSchema.getType(fragment.typeCondition.name.value);
      total += selectionCost(condition && isObjectType(condition) ? condition : type, fragment.selectionSet, walk);
      expanding.delete(fragment);
    }
  }
  return total;
}

function fieldCost(parent: GraphQLObjectType, node: FieldNode, walk: Walk): number {
  const name = node.name.value;
  const definition = parent.getFields()[name];
  // Introspection (__schema, __type, __typename) answers from the schema.
  if (name.startsWith('__') || !definition) return 0;
  const cost = costOfField(parent.name, name);
  const item = getNamedType(definition.type);
  if (!node.selectionSet || !isObjectType(item)) return cost.rpcs;
  const perItem = selectionCost(item, node.selectionSet, walk);
  const items = isListType(getNullableType(definition.type)) ? listSize(cost.items, definition, node, walk.variables) : 1;
  return cost.rpcs + items * perItem;
}

function listSize(size: ListSize | undefined, definition: GraphQLField<unknown, unknown>, node: FieldNode, variables: Variables): number {
  // A list without a size is one whose items cost nothing (fieldsWithoutCosts).
  if (size === undefined) return 1;
  if (typeof size === 'number') return size;
  const asked = getArgumentValues(definition, node, variables)[size.argument];
  return typeof asked === 'number' && asked > 0 ? Math.min(asked, size.max) : size.default;
}

function isIncluded(node: FieldNode | InlineFragmentNode | FragmentSpreadNode, variables: Variables): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}

/** BAD_USER_INPUT naming the cost and the limit, in the message and in `extensions.cost` and `extensions.limit`. */
export function costRefusal({ requested, limit }: RequestCost): GraphQLError {
  return new GraphQLError(`query cost ${requested} exceeds the limit of ${limit}: each field that calls a service counts its RPCs, times the items of the lists above it`, {
    extensions: { code: graphqlCodeByKind[ErrorKind.Validation], cost: requested, limit },
  });
}

/**
 * The operation a request runs: the one named by its `operationName`, else
 * its only one. Mercurius's hooks get the document but not the name, which
 * the request carries (a POST's body, a GET's query string).
 */
export function operationOf(document: DocumentNode, context: MercuriusContext): OperationDefinitionNode | undefined {
  const request = context.reply?.request;
  return getOperationAST(document, operationNameIn(request?.body) ?? operationNameIn(request?.query)) ?? undefined;
}

/** The `operationName` a request's body or query string holds, if any. */
function operationNameIn(from: unknown): string | undefined {
  return typeof from === 'object' && from !== null && 'operationName' in from && typeof from.operationName === 'string' ? from.operationName : undefined;
}

/**
 * A Mercurius preExecution hook: puts the request's cost on its context
 * (`RequestContext.cost`, for hooks after it) and refuses a request that
 * costs more than `limit`, before any resolver runs.
 */
export function refuseCostlyRequests(limit: number): preExecutionHookHandler {
  return async (_schema, document, context, variables) => {
    const operation = operationOf(document, context);
    const cost: RequestCost = { requested: operation ? operationCost(document, operation, variables) : 0, limit };
    (context as unknown as RequestContext).cost = cost;
    if (cost.requested > limit) throw costRefusal(cost);
  };
}
