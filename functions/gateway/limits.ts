/**
 * Limits on what one GraphQL request may ask, so no query costs the services
 * more than a page of a dashboard would.
 */
import type { ASTVisitor, ValidationContext } from 'graphql';
import { requestError } from './errors.js';

export const graphqlLimits = {
  /** Nesting depth of selections. */
  depth: 8,
  /** Fields selected in one document, aliases and fragments included. */
  fields: 250,
  /** Characters of the query text. */
  queryLength: 20_000,
} as const;

/** A validation rule: refuses documents that select more than `graphqlLimits.fields` fields. */
export function fieldCountRule(context: ValidationContext): ASTVisitor {
  let fields = 0;
  return {
    Field() {
      fields += 1;
      if (fields === graphqlLimits.fields + 1) {
        context.reportError(requestError(`query selects more than ${graphqlLimits.fields} fields`));
      }
    },
  };
}
