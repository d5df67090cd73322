/**
 * The operator's view: organizations, and for the one selected its keys,
 * plans and invoices (organization-panel.jsx); below them, the meters every
 * organization's metrics are measured by, and the raw events kept.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { EmptyState, ErrorMessage } from '../components.jsx';
import { MetersSection } from './meters-section.jsx';
import { OrganizationList } from './organization-list.jsx';
import { OrganizationPanel } from './organization-panel.jsx';
import { UsageStorageSection } from './usage-storage-section.jsx';

/** @typedef {import('../types').Request} Request */
/** @typedef {import('../types').Organization} Organization */

/** @param {{ request: Request }} props */
export function OperatorView({ request }) {
  const [organizations, setOrganizations] = useState(/** @type {Organization[] | null} */ (null));
  const [selectedId, setSelectedId] = useState(/** @type {string | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const heading = useRef(/** @type {HTMLHeadingElement | null} */ (null));

  const loadOrganizations = useCallback(async () => {
    try {
      const { organizations: found } = await request(/** @type {string} */ ('{ organizations { id name createdAt } }'));
      setOrganizations(/** @type {Organization[]} */ (found));
      setError(null);
      return /** @type {Organization[]} */ (found);
    } catch (err) {
      setError(err);
      return [];
    }
  }, [request]);

  useEffect(() => {
    loadOrganizations().then((found) => {
      setSelectedId((selected) => selected ?? found[0]?.id ?? null);
      heading.current?.focus();
    });
  }, [loadOrganizations]);

  return (
    <main id="main" class="page">
      <div class="page-header">
        <div>
          <h1 ref={heading} tabIndex={-1}>
            Organizations
          </h1>
          <p class="muted">Keys, plans and invoices of every organization, and the meters that measure their metrics.</p>
        </div>
      </div>
      <ErrorMessage error={error} title="Could not load organizations:" />
      <div class="grid grid-operator">
        <OrganizationList
          organizations={organizations}
          selectedId={selectedId}
          onSelect={setSelectedId}
          request={request}
          onCreated={async (id) => {
            await loadOrganizations();
            setSelectedId(id);
          }}
        />
        {selectedId ? (
          <OrganizationPanel key={selectedId} id={selectedId} request={request} />
        ) : (
          <section class="card">
            <EmptyState title="No organization selected">Choose an organization to see its keys, plans and invoices.</EmptyState>
          </section>
        )}
      </div>
      <MetersSection request={request} />
      <UsageStorageSection request={request} />
    </main>
  );
}
