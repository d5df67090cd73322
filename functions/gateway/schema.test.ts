/**
 * The gateway builds its schema without checking the text (schema.ts): this
 * is where the text is checked, as GraphQL's own build would at every start.
 */
import { buildSchema, printSchema, validateSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { builtSchema, schema } from './schema.js';

describe('the GraphQL schema', () => {
  it('is valid SDL and a valid schema, checked in full', () => {
    const checked = buildSchema(schema);
    expect(validateSchema(checked)).toEqual([]);
  });

  it('is built the same without the checks and the source locations', () => {
    expect(printSchema(builtSchema)).toBe(printSchema(buildSchema(schema)));
    expect(validateSchema(builtSchema)).toEqual([]);
    expect(builtSchema.getQueryType()!.astNode!.loc).toBeUndefined();
  });

  it('would refuse text that names a type it lacks', () => {
    expect(() => buildSchema(`${schema}\nextend type Query { broken: NoSuchType }`)).toThrow(/Unknown type "NoSuchType"/);
  });
});
