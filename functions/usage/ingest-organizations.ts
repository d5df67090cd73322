/**
 * Which organization each ingested event is for. An ordinary key's events are
 * its organization's; one may say so in `organization` (its id or externalId),
 * but naming another is refused. A service key's events must each name their
 * organization, and one request may carry events of several.
 */
import type { FieldProblem } from '../../shared/errors.js';
import type { OrganizationResolver, ResolvedOrganization, Tenant } from '../../shared/grpc/index.js';
import { externalIdProblem, isExternalId } from '../../shared/validation.js';
import type { OrganizationItem } from './domain/index.js';
import type { IngestRequest } from './ingest-body.js';

export async function assignOrganizations(tenant: Tenant, request: IngestRequest, organizations: OrganizationResolver): Promise<OrganizationItem[]> {
  const field = request.organizationField;
  const ownId = tenant.organizationId;
  const references = new Set<string>();
  for (const item of request.items) {
    if (!('event' in item) || typeof item.organization !== 'string' || !isExternalId(item.organization)) continue;
    // A key naming its own organization by id needs no lookup.
    if (!tenant.service && item.organization.toLowerCase() === ownId) continue;
    references.add(item.organization);
  }
  // Each distinct reference once, concurrently; the resolver caches them across requests.
  const resolved = new Map<string, ResolvedOrganization | undefined>(
    await Promise.all([...references].map(async (reference) => [reference, await organizations.resolve(reference)] as const)),
  );

  return request.items.map((item): OrganizationItem => {
    if (!('event' in item)) return item;
    const reference = item.organization;
    if (reference === undefined) {
      return tenant.service ? refusal(field, 'is required with a service key: the organization’s id or externalId') : { orgId: ownId, event: item.event };
    }
    if (typeof reference !== 'string' || !isExternalId(reference)) return refusal(field, `must be an organization id or externalId (${externalIdProblem})`);
    const organization = resolved.get(reference);
    if (tenant.service) return organization ? { orgId: organization.id, event: item.event } : refusal(field, 'is not a known organization id or externalId');
    // The same answer whether another organization exists or not: a key learns nothing of others.
    const own = reference.toLowerCase() === ownId || organization?.id === ownId;
    return own ? { orgId: ownId, event: item.event } : refusal(field, 'must be this API key’s own organization (its id or externalId)');
  });
}

/**
 * An item refused for `field`. At module level rather than a closure named in
 * each request (see "keepNames" in scripts/bench/LOG.md).
 */
function refusal(field: string, message: string): { problems: FieldProblem[] } {
  return { problems: [{ field, message }] };
}
