/** An organization's API keys: create one (shown once), revoke one after a confirmation. */
import { useState } from 'preact/hooks';
import { EmptyState, TableScroll } from '../components.jsx';
import { formatDay } from '../format.js';
import { NewKeyNotice } from './new-key-notice.jsx';
import { Outcome, useChanges } from './organization-section.jsx';

/** @typedef {import('./organization-section.jsx').SectionProps} SectionProps */
/** @typedef {import('./new-key-notice.jsx').NewKey} NewKey */

/** What this section reads of the organization. */
export const apiKeysFields = 'apiKeys { id prefix createdAt revokedAt }';

/** @param {SectionProps} props */
export function ApiKeysSection({ details, request, reload }) {
  const [newKey, setNewKey] = useState(/** @type {NewKey | null} */ (null));
  const [confirming, setConfirming] = useState(/** @type {string | null} */ (null));
  const { run, status, error } = useChanges(reload);

  const create = () =>
    run(async () => {
      /** @type {{ createApiKey: { id: string, apiKey: string } }} */
      const { createApiKey } = await request('mutation($o: ID!) { createApiKey(organizationId: $o) { id apiKey } }', { o: details.id });
      setNewKey({ apiKey: createApiKey.apiKey, organizationName: details.name });
    }, 'API key created.');

  /** @param {string} keyId @param {string} prefix */
  const revoke = (keyId, prefix) =>
    run(async () => {
      await request('mutation($id: ID!) { revokeApiKey(id: $id) }', { id: keyId });
      setConfirming(null);
    }, `Key ${prefix}… revoked. It stops working within a minute.`);

  return (
    <section class="card" aria-labelledby="api-keys">
      <div class="card-header">
        <h2 id="api-keys">API keys</h2>
        <button class="button button-primary" type="button" onClick={create}>
          Create API key
        </button>
      </div>
      <Outcome status={status} error={error} />
      {newKey && <NewKeyNotice newKey={newKey} onDismiss={() => setNewKey(null)} />}
      {details.apiKeys.length === 0 ? (
        <EmptyState title="No API keys">Create one for this organization to send usage.</EmptyState>
      ) : (
        <TableScroll label="API keys">
          <table class="table table-stack" data-api-keys>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {details.apiKeys.map((key) => (
                <tr key={key.id} data-api-key-id={key.id} data-revoked={key.revokedAt ? 'true' : 'false'}>
                  <th scope="row">
                    <code>{key.prefix}…</code>
                  </th>
                  <td data-label="Created">{formatDay(key.createdAt)}</td>
                  <td data-label="Status">{key.revokedAt ? <span class="badge badge-muted">revoked {formatDay(key.revokedAt)}</span> : <span class="badge badge-ok">active</span>}</td>
                  <td class="actions">
                    {key.revokedAt ? null : confirming === key.id ? (
                      <span class="confirm">
                        <span>Revoke {key.prefix}…?</span>
                        <button class="button button-danger" type="button" onClick={() => revoke(key.id, key.prefix)}>
                          Revoke key
                        </button>
                        <button class="button button-quiet" type="button" onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button class="button button-quiet" type="button" aria-label={`Revoke ${key.prefix}…`} onClick={() => setConfirming(key.id)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
