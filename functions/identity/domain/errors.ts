import { NotFoundError, ValidationError } from '../../../shared/errors.js';

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

/** Bad input rather than a conflict of states: the caller picks another externalId. */
export class ExternalIdTakenError extends ValidationError {
  override name = 'ExternalIdTakenError';
  constructor() {
    super([{ field: 'external_id', message: 'is already the externalId of another organization' }]);
  }
}
