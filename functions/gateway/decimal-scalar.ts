/** The `Decimal` scalar: exact, serialized as a string, accepted as a string or a number. */
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { Decimal } from '../../shared/decimal.js';
import { requestError } from './errors.js';

const notDecimal = 'Decimal must be a decimal number, as a string or a number';

function parse(value: unknown, node?: ValueNode): string {
  const decimal = typeof value === 'string' || typeof value === 'number' ? Decimal.parse(String(value)) : undefined;
  if (!decimal) throw requestError(notDecimal, node);
  return decimal.toString();
}

export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'Exact decimal; serialized as a string, accepted as a string or a number.',
  serialize: (value) => String(value),
  parseValue: (value) => parse(value),
  parseLiteral(ast) {
    return ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT ? parse(ast.value, ast) : parse(undefined, ast);
  },
});
