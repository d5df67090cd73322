/**
 * Identity's inputs and their validators. Each validator reports every
 * problem at once, naming fields as the wire does (`organization_id`).
 */
import { Problems } from '../../../shared/errors.js';
import { isUuid } from '../../../shared/validation.js';

export interface CreateOrganizationInput {
  /** 1–200 characters after trimming. */
  name: string;
}

export function validateCreateOrganization(input: { name: string }): CreateOrganizationInput {
  const problems = new Problems();
  const name = input.name.trim();
  problems.check(name.length > 0, 'name', 'is required');
  problems.check(name.length <= 200, 'name', 'must be at most 200 characters');
  problems.throwIfAny();
  return { name };
}

/** Checks that `value` is a UUID, naming `field` when it is not; returns it lower-cased. */
export function validateId(field: string, value: string): string {
  const problems = new Problems();
  if (problems.check(value !== '', field, 'is required')) problems.check(isUuid(value), field, 'must be a UUID');
  problems.throwIfAny();
  return value.toLowerCase();
}
