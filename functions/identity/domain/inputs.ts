/**
 * Identity's inputs and their validators. Each validator reports every
 * problem at once, naming fields as the wire does (`organization_id`).
 */
import { Problems } from '../../../shared/errors.js';
import { maxLimitPerSecond, type OrganizationLimitOverrides } from '../../../shared/rate-limits/index.js';
import { externalIdProblem, isExternalId, isStorableText, isUuid, parseTimestamp, storableTextProblem } from '../../../shared/validation.js';
import { tenantScopes, type ApiKeyScope } from './api-key.js';

export interface CreateOrganizationInput {
  /** 1–200 characters after trimming. */
  name: string;
  /** The operator's own id for it, unique; undefined when not given. */
  externalId?: string;
}

export function validateCreateOrganization(input: { name: string; externalId?: string }): CreateOrganizationInput {
  const problems = new Problems();
  const name = input.name.trim();
  problems.check(name.length > 0, 'name', 'is required');
  problems.check(name.length <= 200, 'name', 'must be at most 200 characters');
  problems.check(isStorableText(name), 'name', storableTextProblem);
  const externalId = input.externalId || undefined;
  if (externalId !== undefined) problems.check(isExternalId(externalId), 'external_id', externalIdProblem);
  problems.throwIfAny();
  return { name, externalId };
}

export interface CreateApiKeyInput {
  organizationId: string;
  name?: string;
  /** Distinct, in the order of {@link tenantScopes}. */
  scopes: ApiKeyScope[];
  expiresAt?: Date;
}

/** Key names: what a person calls the key, to recognise it in a list. */
const maxKeyNameLength = 100;

function checkKeyName(problems: Problems, value: string, required: boolean): string | undefined {
  const name = value.trim();
  if (name === '') {
    problems.check(!required, 'name', 'is required');
    return undefined;
  }
  problems.check([...name].length <= maxKeyNameLength, 'name', `must be at most ${maxKeyNameLength} characters`);
  problems.check(isStorableText(name), 'name', storableTextProblem);
  return name;
}

/**
 * A tenant key's request: scopes among INGEST, READ and MANAGE, each once
 * (none given: all three); an expiry, when given, after `now`.
 */
export function validateCreateApiKey(
  input: { organizationId: string; name: string; scopes: readonly string[]; expiresAt: string },
  now: Date,
): CreateApiKeyInput {
  const problems = new Problems();
  if (problems.check(input.organizationId !== '', 'organization_id', 'is required')) {
    problems.check(isUuid(input.organizationId), 'organization_id', 'must be a UUID');
  }
  const name = checkKeyName(problems, input.name, false);
  const seen = new Set<string>();
  input.scopes.forEach((scope, i) => {
    const field = `scopes[${i}]`;
    if (!problems.check((tenantScopes as readonly string[]).includes(scope), field, `must be one of ${tenantScopes.join(', ')}`)) return;
    problems.check(!seen.has(scope), field, `repeats ${scope}`);
    seen.add(scope);
  });
  let expiresAt: Date | undefined;
  if (input.expiresAt !== '') {
    expiresAt = parseTimestamp(input.expiresAt);
    if (problems.check(expiresAt !== undefined, 'expires_at', 'must be an RFC 3339 timestamp')) {
      problems.check(expiresAt! > now, 'expires_at', 'must be in the future');
    }
  }
  problems.throwIfAny();
  const scopes = seen.size === 0 ? [...tenantScopes] : tenantScopes.filter((scope) => seen.has(scope));
  return { organizationId: input.organizationId.toLowerCase(), name, scopes, expiresAt };
}

/** A service key's request: its name is required, there being no organization to recognise it by. */
export function validateCreateServiceKey(input: { name: string }): { name: string } {
  const problems = new Problems();
  const name = checkKeyName(problems, input.name, true);
  problems.throwIfAny();
  return { name: name! };
}

/** The reference ResolveOrganization takes: an organization id or an externalId. */
export function validateOrganizationReference(reference: string): string {
  const problems = new Problems();
  if (problems.check(reference !== '', 'reference', 'is required')) {
    // An id has the shape of an externalId too: one check covers both.
    problems.check(isExternalId(reference), 'reference', `must be an organization id or an externalId (${externalIdProblem})`);
  }
  problems.throwIfAny();
  return reference;
}

export interface SetOrganizationLimitsInput {
  organizationId: string;
  /** The organization's own limits; a field left out takes the deployment's default. */
  limits: OrganizationLimitOverrides;
}

/** The limits an organization may be given, per second; 0 (or left out) means the default. */
export function validateSetOrganizationLimits(input: {
  organizationId: string;
  limits?: { ingestRequestsPerSecond: number; ingestEventsPerSecond: number; graphqlCostPerSecond: number };
}): SetOrganizationLimitsInput {
  const problems = new Problems();
  if (problems.check(input.organizationId !== '', 'organization_id', 'is required')) {
    problems.check(isUuid(input.organizationId), 'organization_id', 'must be a UUID');
  }
  const limits: OrganizationLimitOverrides = {};
  const fields = [
    ['ingest_requests_per_second', 'ingestRequestsPerSecond'],
    ['ingest_events_per_second', 'ingestEventsPerSecond'],
    ['graphql_cost_per_second', 'graphqlCostPerSecond'],
  ] as const;
  for (const [field, key] of fields) {
    const value = input.limits?.[key] ?? 0;
    const valid = problems.check(Number.isInteger(value) && value >= 0 && value <= maxLimitPerSecond, field, `must be a whole number from 1 to ${maxLimitPerSecond} a second, or 0 for the default`);
    if (valid && value > 0) limits[key] = value;
  }
  problems.throwIfAny();
  return { organizationId: input.organizationId.toLowerCase(), limits };
}
