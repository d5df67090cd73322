import { NotFoundError } from '../../../shared/errors.js';

export class OrganizationNotFoundError extends NotFoundError {
  override name = 'OrganizationNotFoundError';
  constructor(id: string) {
    super('organization_not_found', `organization ${id} does not exist`);
  }
}

export class ApiKeyNotFoundError extends NotFoundError {
  override name = 'ApiKeyNotFoundError';
  constructor(id: string) {
    super('api_key_not_found', `API key ${id} does not exist`);
  }
}
