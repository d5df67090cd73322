/** Every organization, to choose the one shown; and a form for a new one. */
import { EmptyState } from '../components.jsx';
import { CreateOrganizationForm } from './create-organization-form.jsx';

/** @typedef {import('../types').Request} Request */
/** @typedef {import('../types').Organization} Organization */

/**
 * @param {{ organizations: Organization[] | null, selectedId: string | null, onSelect: (id: string) => void, request: Request, onCreated: (id: string) => Promise<void> }} props
 *   `organizations`: null while they load
 */
export function OrganizationList({ organizations, selectedId, onSelect, request, onCreated }) {
  return (
    <aside class="card card-organizations" aria-labelledby="organization-list">
      <div class="card-header">
        <h2 id="organization-list">All organizations</h2>
        {organizations && <span class="count">{organizations.length}</span>}
      </div>
      {!organizations ? (
        <p class="loading">Loading…</p>
      ) : organizations.length === 0 ? (
        <EmptyState title="No organizations yet">Create the first one below.</EmptyState>
      ) : (
        <ul class="organization-list">
          {organizations.map((organization) => (
            <li key={organization.id}>
              <button
                type="button"
                class="organization-item"
                aria-current={organization.id === selectedId ? 'true' : undefined}
                onClick={() => onSelect(organization.id)}
              >
                <span class="organization-name">{organization.name}</span>
                <span class="organization-id">{organization.id}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <CreateOrganizationForm request={request} onCreated={onCreated} />
    </aside>
  );
}
