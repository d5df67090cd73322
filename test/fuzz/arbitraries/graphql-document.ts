/**
 * GraphQL requests built from the schema (functions/gateway/schema.ts):
 * random selections of real fields (and a few unknown ones) with random
 * arguments and variables (right and wrong types, nulls, huge strings),
 * aliases, inline and named fragments (cyclic and misplaced ones too),
 * `@skip`/`@include` with good and bad arguments, nesting past the depth
 * limit, introspection; and raw bodies. A document of hostility 0 is one the
 * builder made clean: it must pass validation.
 */
import fc from 'fast-check';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { schema as schemaText } from '../../../functions/gateway/schema.js';
import { validQuantityLiteral } from './numbers.js';
import { hostileMetric, hostileString, oddUuidText, validMetric } from './text.js';
import { hostileTimestampText } from './timestamps.js';

const schema = buildSchema(schemaText);

/** What one document needs from the lane: ids to put in arguments. */
export interface Pools {
  ids: fc.Arbitrary<string>;
  keyIds: fc.Arbitrary<string>;
}

interface Builder {
  g: fc.GeneratorValue;
  /** 0: a valid document (as far as the builder knows); 1: a few mistakes; 2: many. */
  hostility: number;
  pools: Pools;
  variables: Record<string, unknown>;
  definitions: string[];
  fragments: string[];
  nextVariable: number;
}

const pick = <T>(b: Builder, items: readonly T[]): T => items[b.g(fc.nat, items.length - 1)]!;
const roll = (b: Builder): number => b.g(fc.integer, { min: 1, max: 100 });
const chance = (b: Builder, percent: number): boolean => roll(b) <= percent;
/** A chance of a mistake: none in a clean document, `percent` in a hostile one, a quarter of it in between. */
const mistake = (b: Builder, percent: number): boolean => b.hostility > 0 && chance(b, b.hostility === 2 ? percent : percent / 4);

/** An enum value: bare in a literal, a string in variables (JSON.stringify calls toJSON). */
class EnumValue {
  constructor(readonly name: string) {}
  toJSON(): string {
    return this.name;
  }
}

const goodDecimal = fc.oneof(validQuantityLiteral, fc.integer({ min: 0, max: 1000 }).map(String));

/** A good value for an argument, by its name (and so its meaning). */
function goodValue(b: Builder, name: string, typeName: string): unknown {
  switch (name) {
    case 'windowSize':
      return new EnumValue(pick(b, ['HOUR', 'DAY', 'MONTH']));
    case 'aggregation':
      return new EnumValue(pick(b, ['SUM', 'COUNT', 'MAX', 'LATEST', 'UNIQUE_COUNT']));
    case 'timeZone':
      return pick(b, ['UTC', 'Asia/Kathmandu', 'America/St_Johns', 'Europe/Berlin']);
    case 'groupBy':
      return b.g(fc.subarray, ['region', 'tier', 'user_id']);
    case 'valueProperty':
      return pick(b, ['user_id', 'region']);
    case 'where':
      return b.g(fc.array, fc.record({ key: fc.constantFrom('region', 'tier'), values: fc.array(fc.constantFrom('eu', 'us', 'pro'), { maxLength: 3 }) }), { maxLength: 2 });
    case 'properties':
      return b.g(fc.dictionary, fc.constantFrom('region', 'tier', 'user_id', 'seats', 'beta'), fc.oneof(fc.string({ maxLength: 20 }), fc.integer({ min: 0, max: 1000 }), fc.boolean()), { maxKeys: 5 });
    case 'metric':
      return b.g(() => fc.oneof(validMetric, fc.constant('api_calls')));
    case 'quantity':
      return b.g(fc.integer, { min: 0, max: 1_000_000 });
    case 'from':
    case 'to':
    case 'periodStart':
    case 'periodEnd':
    case 'effectiveFrom':
      return b.g(() =>
        fc.oneof(
          fc.constantFrom('2026-11-01', '2026-12-01', '2026-10-01T00:00:00Z', new Date().toISOString()),
          fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
        ),
      );
    case 'timestamp':
      return new Date(Date.now() - b.g(fc.integer, { min: 0, max: 30 * 86_400_000 })).toISOString();
    case 'id':
      return b.g(() => fc.oneof(b.pools.ids, b.pools.keyIds));
    case 'organizationId':
      return b.g(() => b.pools.ids);
    case 'unitPrice':
    case 'freeQuota':
    case 'packageSize':
    case 'packagePrice':
    case 'recurringFee':
    case 'minimum':
      return b.g(() => goodDecimal);
    case 'model':
      return new EnumValue(pick(b, ['PER_UNIT', 'GRADUATED', 'VOLUME', 'PACKAGE']));
    case 'tiers':
      return b.g(fc.array, fc.record({ upTo: goodDecimal, unitPrice: goodDecimal, flatPrice: goodDecimal }, { requiredKeys: ['unitPrice'] }), { maxLength: 3 });
    case 'currency':
      return pick(b, ['USD', 'EUR', 'JPY']);
    case 'name':
    case 'reason':
    case 'recurringFeeName':
      return b.g(fc.string, { minLength: 1, maxLength: 20 });
    case 'idempotencyKey':
      return b.g(fc.string, { minLength: 1, maxLength: 30 });
    case 'role':
      return new EnumValue(pick(b, ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER']));
    case 'scopes':
      return b.g(fc.subarray, ['INGEST', 'READ', 'MANAGE', 'INGEST_ANY']).map((scope) => new EnumValue(scope));
    case 'userId':
      return b.g(() => b.pools.ids);
    case 'email':
      return pick(b, ['ana@example.com', 'ANA@example.com', 'bo@example.org', 'nobody@example.net']);
    case 'password':
    case 'currentPassword':
    case 'newPassword':
      return b.g(fc.string, { minLength: 8, maxLength: 40 });
    case 'token':
    case 'refreshToken':
      return b.g(() => fc.tuple(fc.constantFrom('poli_', 'polp_', 'polr_'), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)).map(([prefix, rest]) => prefix + rest));
    case 'externalId':
      return b.g(() => fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,40}$/));
    case 'expiresAt':
      return new Date(Date.now() + b.g(fc.integer, { min: 60_000, max: 365 * 86_400_000 })).toISOString();
    case 'action':
      return pick(b, ['api_key.create', 'session.sign_in', 'organization.create', 'member.remove']);
    case 'limit':
      return b.g(fc.integer, { min: 1, max: 1000 });
    case 'budget':
      return b.g(() => goodDecimal);
    case 'percentages':
      return b.g(fc.subarray, ['50', '80', '100', '12.5', '150']);
    case 'feature':
      return b.g(() => fc.oneof(validMetric, fc.constantFrom('sso', 'api_calls')));
    case 'customerId':
      return b.g(() => fc.stringMatching(/^cus_[A-Za-z0-9]{1,24}$/));
    case 'collectionMethod':
      return new EnumValue(pick(b, ['CHARGE_AUTOMATICALLY', 'SEND_INVOICE']));
    case 'daysUntilDue':
      return b.g(fc.integer, { min: 1, max: 365 });
    case 'status':
      return new EnumValue(pick(b, ['PENDING', 'DELIVERED', 'FAILED']));
    case 'url':
      return pick(b, ['https://example.com/hooks', 'https://hooks.example.org/polaris?x=1', 'http://127.0.0.1/hooks', 'http://[::1]/', 'ftp://example.com/']);
    case 'eventTypes':
      return b.g(fc.subarray, ['dev.polaris.invoice.*', 'dev.polaris.usage.threshold.*', 'dev.polaris.invoice.finalized', 'dev.polaris.webhook.endpoint.disabled', 'dev.polaris.usage.recorded']);
    case 'endpointId':
      return b.g(() => b.pools.ids);
    case 'limits':
      // OrganizationLimitsInput: any of its three, each a whole number a second.
      return b.g(() =>
        fc.record(
          { ingestRequestsPerSecond: fc.integer({ min: 1, max: 10_000_000 }), ingestEventsPerSecond: fc.integer({ min: 1, max: 10_000_000 }), graphqlCostPerSecond: fc.integer({ min: 1, max: 10_000_000 }) },
          { requiredKeys: [] },
        ),
      );
    case 'messageId':
      return b.g(() => fc.oneof(fc.stringMatching(/^msg_[0-9a-f]{32}$/), b.pools.ids));
    default:
      return typeName === 'Int' ? b.g(fc.integer) : typeName === 'Boolean' ? b.g(fc.boolean) : b.g(fc.string, { maxLength: 10 });
  }
}

/** A hostile value: wrong type, out of range, huge, odd. */
function badValue(b: Builder, name: string): unknown {
  return b.g(() =>
    fc.oneof(
      hostileString,
      name === 'metric' ? hostileMetric : hostileTimestampText,
      oddUuidText,
      fc.constantFrom<unknown>(null, true, 0, -1, 2 ** 31, -(2 ** 31) - 1, 1.5, 1e308, Number.MAX_SAFE_INTEGER + 2, [], [1, 2], {}, { a: { b: [1] } }, 'x'.repeat(30_000)),
      fc.jsonValue({ maxDepth: 3 }),
    ),
  );
}

/** A JavaScript value as a GraphQL literal; objects become input objects (there is no such type here). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
  if (typeof value === 'boolean') return String(value);
  if (value instanceof EnumValue) return value.name;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(k) ? k : 'k'}: ${literal(v)}`).join(', ')}}`;
  return 'null';
}

/** A variable type: the argument's own, or (as a mistake) a wrong or unknown one. */
function variableType(b: Builder, type: GraphQLInputType): string {
  if (!mistake(b, 20)) return String(type);
  return pick(b, ['String', 'String!', 'Int', 'Int!', 'ID!', 'Float', 'Boolean!', 'Decimal', '[String!]!', 'Organization', 'Nope', 'Query']);
}

const oddLiterals = ['ENUM_VALUE', '"""block\nstring"""', '$', '1e99999', '-0', '0x1F', '"\\u0000"', '"\\uD800"'];

/** An argument as `name: value`, or undefined to leave it out. */
function argument(b: Builder, arg: GraphQLArgument): string | undefined {
  const named = getNamedType(arg.type);
  const required = isNonNullType(arg.type);
  if (required ? mistake(b, 5) : chance(b, 30)) return undefined; // left out
  const value = mistake(b, 45) ? badValue(b, arg.name) : goodValue(b, arg.name, named.name);
  if (chance(b, 40)) {
    const name = `v${b.nextVariable++}`;
    b.definitions.push(`$${name}: ${variableType(b, arg.type)}${chance(b, 10) ? ` = ${literal(goodValue(b, arg.name, named.name))}` : ''}`);
    if (!(required && mistake(b, 10))) b.variables[name] = value; // sometimes declared but not given
    return `${arg.name}: $${name}`;
  }
  if (mistake(b, 3)) return `${arg.name}: $undeclared`;
  if (mistake(b, 3)) return `${arg.name}: ${pick(b, oddLiterals)}`;
  return `${arg.name}: ${literal(value)}`;
}

function directives(b: Builder): string {
  if (!chance(b, 12)) return '';
  if (b.hostility === 0) return ` ${pick(b, ['@skip', '@include'])}(if: ${pick(b, ['true', 'false'])})`;
  const condition = pick(b, ['true', 'false', 'null', '"true"', '1', '$skip', '[true]']);
  if (condition === '$skip' && !b.definitions.some((d) => d.startsWith('$skip'))) {
    b.definitions.push(`$skip: ${pick(b, ['Boolean!', 'Boolean', 'String'])}`);
    b.variables.skip = pick(b, [true, false, null, 'yes', 1]);
  }
  return ` ${pick(b, ['@skip', '@include', '@deprecated', '@nope', '@skip(if: true) @skip'])}${pick(b, ['', `(if: ${condition})`, '(if: true, if: false)', '(unless: true)'])}`;
}

/** A selection set on `type`, `depth` levels deep at most (more, as a mistake). */
function selection(b: Builder, type: GraphQLObjectType, depth: number): string {
  const fields = Object.values(type.getFields());
  const count = b.g(fc.integer, { min: 1, max: 4 });
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = roll(b);
    if (r <= 3) {
      parts.push(pick(b, ['__typename', '__typename', ...(b.hostility > 0 ? ['nope', 'id(x: 1)'] : [])]));
      continue;
    }
    if (r <= 5 && type.name === 'Query') {
      const alias = b.hostility === 0 ? `t${b.nextVariable++}: ` : '';
      parts.push(alias + pick(b, ['__schema { queryType { name } mutationType { name } }', '__type(name: "Invoice") { name fields { name type { name } } }', '__type(name: "Nope") { name }']));
      continue;
    }
    if (r <= 9 && depth > 0) {
      const condition = b.hostility > 0 ? pick(b, ['Organization', 'Invoice', 'Query', 'Nope', type.name]) : type.name;
      parts.push(`... on ${condition} ${selection(b, type, depth - 1)}`);
      continue;
    }
    if (r <= 12) {
      const name = `F${b.fragments.length}`;
      const onType = b.hostility > 0 ? pick(b, [type.name, 'Organization', 'Plan']) : type.name;
      b.fragments.push(mistake(b, 20) ? `fragment ${name} on ${onType} { ...${name} }` : `fragment ${name} on ${onType} { __typename }`);
      parts.push(`...${name}`);
      continue;
    }
    parts.push(field(b, pick(b, fields), depth));
  }
  return `{ ${parts.join(' ')} }`;
}

function field(b: Builder, f: GraphQLField<unknown, unknown>, depth: number): string {
  // Two fields of one name with different arguments conflict: a clean document aliases every field with arguments.
  const uniqueAlias = b.hostility === 0 && f.args.length > 0;
  const alias = uniqueAlias || chance(b, 15) ? `${b.hostility > 0 ? pick(b, ['a', 'b', 'me', 'id', 'x1', '_']) : `a${b.nextVariable++}`}: ` : '';
  const args = f.args.map((arg) => argument(b, arg)).filter((a): a is string => a !== undefined);
  if (mistake(b, 3)) args.push(`${pick(b, ['nope', 'metric', 'id'])}: 1`); // unknown or repeated argument
  const named = getNamedType(f.type);
  let sub = '';
  if (isObjectType(named)) {
    // Past the depth budget: stop with a leaf field; as a mistake, keep nesting (over the limit) or select nothing.
    if (depth > 0 || mistake(b, 10)) sub = ` ${selection(b, named, depth - 1)}`;
    else if (!mistake(b, 10)) {
      const leaves = Object.values(named.getFields()).filter((x) => isScalarType(getNamedType(x.type)) || isEnumType(getNamedType(x.type)));
      sub = ` { ${leaves.length > 0 ? pick(b, leaves).name : '__typename'} }`;
    }
  } else if (mistake(b, 3)) {
    sub = ' { id }'; // a selection on a scalar
  }
  return `${alias}${f.name}${args.length > 0 ? `(${args.join(', ')})` : ''}${directives(b)}${sub}`;
}

/** A request body, and a note of how it was made (`document (hostility 0)` for a clean document). */
export interface GraphqlRequest {
  body: string;
  note: string;
}

/** A document from the schema, as clean or as hostile as a roll decides, in a JSON request body. */
export function buildDocument(g: fc.GeneratorValue, pools: Pools): GraphqlRequest {
  const hostility = g(fc.constantFrom, 0, 0, 0, 1, 1, 2);
  const b: Builder = { g, hostility, pools, variables: {}, definitions: [], fragments: [], nextVariable: 0 };
  const kind = roll(b);
  const depth = b.g(fc.integer, { min: 1, max: hostility === 0 ? 4 : 10 });
  let operation: string;
  if (kind <= 55) operation = `query${chance(b, 30) ? ' Q' : ''}VARS ${selection(b, schema.getQueryType()!, depth)}`;
  else if (kind <= 90) operation = `mutation${chance(b, 30) ? ' M' : ''}VARS ${selection(b, schema.getMutationType()!, depth)}`;
  else if (kind <= 93 && hostility > 0) operation = 'subscription VARS { me { id } }';
  else operation = `VARS${selection(b, schema.getQueryType()!, depth)}`; // shorthand: no variables can be declared
  // A shorthand query cannot declare variables: a clean document that has some names its operation.
  if (operation.startsWith('VARS{') && b.definitions.length > 0 && hostility === 0) operation = `query ${operation}`;
  const shorthand = operation.startsWith('VARS{');
  const definitions = b.definitions.length > 0 && !shorthand ? `(${b.definitions.join(', ')})` : '';
  operation = operation.replace('VARS', definitions);
  const extra = mistake(b, 5) ? ' query Q2 { me { id } }' : '';
  const query = [operation + extra, ...b.fragments].join('\n');
  const payload: Record<string, unknown> = { query, variables: mistake(b, 3) ? pick(b, ['not an object', [], null, 42]) : b.variables };
  if (mistake(b, 8)) payload.operationName = pick(b, ['Q', 'M', 'Q2', 'Missing', '', null]);
  return { body: JSON.stringify(payload), note: `document (hostility ${hostility})` };
}

/** Bodies not built from the schema: any text or JSON, and crafted ones (long, wide, deep, cyclic, batched, JSON ASTs). */
export const rawBodies: fc.Arbitrary<GraphqlRequest> = fc.oneof(
  fc.string({ maxLength: 80 }).map((text) => ({ body: text, note: 'text' })),
  fc.jsonValue({ maxDepth: 3 }).map((value) => ({ body: JSON.stringify(value), note: 'json' })),
  fc.string({ maxLength: 200 }).map((query) => ({ body: JSON.stringify({ query }), note: 'query text' })),
  fc.constantFrom(
    { body: JSON.stringify({ query: `{ me { id } } # ${'x'.repeat(25_000)}` }), note: 'long' },
    { body: JSON.stringify({ query: `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: __typename`).join(' ')} }` }), note: 'wide' },
    { body: JSON.stringify({ query: `{ me { ${'invoices { lineItems { '.repeat(6)}metric${' } }'.repeat(6)} } }` }), note: 'deep' },
    { body: JSON.stringify({ query: `query { ${'me { '.repeat(200)}id${' }'.repeat(200)} }` }), note: 'very deep' },
    { body: JSON.stringify({ query: '{ __schema { types { name fields { name args { name type { name ofType { name } } } } } } }' }), note: 'introspection' },
    { body: JSON.stringify({ query: 'fragment A on Query { ...B } fragment B on Query { ...A } { ...A }' }), note: 'cycle' },
    { body: JSON.stringify({ query: '{ me { id } }', variables: { x: 'y'.repeat(200_000) } }), note: 'huge variable' },
    { body: JSON.stringify({ query: '{ me { id } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } }), note: 'apq' },
    { body: JSON.stringify([{ query: '{ me { id } }' }, { query: '{ invoices { id } }' }]), note: 'batched' },
    { body: '{"query": "{ me { id } }", "query": "{ organizations { id } }"}', note: 'duplicate key' },
    { body: '{"query": "{ me { id', note: 'broken json' },
    { body: '', note: 'empty' },
    // Mercurius takes a query that is no GraphQL but is JSON as a ready-made AST.
    { body: JSON.stringify({ query: '8' }), note: 'json literal query' },
    { body: JSON.stringify({ query: JSON.stringify({ kind: 'Document', definitions: [{ kind: 'Nope' }] }) }), note: 'malformed json ast' },
    {
      body: JSON.stringify({
        query: JSON.stringify({
          kind: 'Document',
          definitions: [{ kind: 'OperationDefinition', operation: 'query', selectionSet: { kind: 'SelectionSet', selections: [{ kind: 'Field', name: { kind: 'Name', value: '__typename' } }] } }],
        }),
      }),
      note: 'json ast',
    },
  ),
);
