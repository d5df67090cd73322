/** The `Decimal` scalar: exact, serialized as a string, accepted as a string or a number. */
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { Decimal } from '../../shared/decimal.js';

function parse(value: unknown): string {
  const decimal = typeof value === 'string' || typeof value === 'number' ? Decimal.parse(String(value)) : undefined;
  if (!decimal) throw new GraphQLError('Decimal must be a decimal number, as a string or a number', { extensions: { code: 'BAD_USER_INPUT' } });
  return decimal.toString();
}

export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'Exact decimal; serialized as a string, accepted as a string or a number.',
  serialize: (value) => String(value),
  parseValue: parse,
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return parse(ast.value);
    throw new GraphQLError('Decimal must be a decimal number, as a string or a number', { nodes: ast, extensions: { code: 'BAD_USER_INPUT' } });
  },
});
