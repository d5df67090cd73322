/**
 * The `EventProperties` scalar: an event's properties as a JSON object, given
 * as an object literal or a variable, parsed straight into RecordUsage's
 * `properties` (string → text, boolean → flag, number → number as exact
 * text). The Usage service checks the keys and the limits; here only the
 * kind of each value, which decides the mapping.
 */
import { GraphQLScalarType, Kind, type ObjectValueNode, type ValueNode } from 'graphql';
import type { PropertyValue } from '../../proto/gen/polaris/usage/v1/usage.js';
import { requestError } from './errors.js';

/** The argument every use of the scalar has; errors name `properties.<key>`. */
const argument = 'properties';
const notObject = 'must be a JSON object of property values';
const notPropertyValue = 'must be a string, a finite number or a boolean';

function refuse(field: string, message: string, node?: ValueNode): never {
  throw requestError(`${field}: ${message}`, node, [{ field, message }]);
}

/**
 * A number as the RPC takes it: JSON number text, exponents included (`1e+21`),
 * which Usage reads exactly. (`toLocaleString` cannot spell such numbers out
 * on Node 20: it refuses more than 20 fraction digits.)
 */
function numberText(value: number): string {
  return String(value === 0 ? 0 : value);
}

function fromJson(key: string, value: unknown, node?: ValueNode): PropertyValue {
  if (typeof value === 'string') return { text: value };
  if (typeof value === 'boolean') return { flag: value };
  if (typeof value === 'number' && Number.isFinite(value)) return { number: numberText(value) };
  return refuse(`${argument}.${key}`, notPropertyValue, node);
}

function parseValue(value: unknown): Record<string, PropertyValue> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse(argument, notObject);
  return Object.fromEntries(Object.entries(value).map(([key, one]) => [key, fromJson(key, one)]));
}

/**
 * A literal keeps a number as written (`1.50` stays `1.50`). Variables
 * inside the literal are read at execution; validation, which has no
 * variables, skips them.
 */
function parseLiteral(ast: ValueNode, variables?: Record<string, unknown> | null): Record<string, PropertyValue> {
  if (ast.kind !== Kind.OBJECT) return refuse(argument, notObject, ast);
  const properties: Record<string, PropertyValue> = {};
  for (const { name, value } of (ast as ObjectValueNode).fields) {
    const key = name.value;
    switch (value.kind) {
      case Kind.STRING:
        properties[key] = { text: value.value };
        break;
      case Kind.BOOLEAN:
        properties[key] = { flag: value.value };
        break;
      case Kind.INT:
      case Kind.FLOAT:
        // GraphQL's number syntax is JSON's: the literal goes as written, exactly.
        properties[key] = { number: value.value };
        break;
      case Kind.VARIABLE:
        if (variables) properties[key] = fromJson(key, variables[value.name.value], value);
        break;
      default:
        refuse(`${argument}.${key}`, notPropertyValue, value);
    }
  }
  return properties;
}

export const EventPropertiesScalar = new GraphQLScalarType({
  name: 'EventProperties',
  description: 'An event’s properties: a JSON object whose values are strings, finite numbers or booleans.',
  serialize: (value) => value,
  parseValue,
  parseLiteral,
});
