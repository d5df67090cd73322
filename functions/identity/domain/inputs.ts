/**
 * Identity's inputs and their validators. Each validator reports every
 * problem at once, naming fields as the wire does (`organization_id`).
 */
import { Problems } from '../../../shared/errors.js';
import { isStorableText, storableTextProblem } from '../../../shared/validation.js';

export interface CreateOrganizationInput {
  /** 1–200 characters after trimming. */
  name: string;
}

export function validateCreateOrganization(input: { name: string }): CreateOrganizationInput {
  const problems = new Problems();
  const name = input.name.trim();
  problems.check(name.length > 0, 'name', 'is required');
  problems.check(name.length <= 200, 'name', 'must be at most 200 characters');
  problems.check(isStorableText(name), 'name', storableTextProblem);
  problems.throwIfAny();
  return { name };
}

