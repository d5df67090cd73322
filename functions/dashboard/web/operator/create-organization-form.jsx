/** A new organization: its name in, its first API key shown once. */
import { useId, useState } from 'preact/hooks';
import { ErrorMessage } from '../components.jsx';
import { NewKeyNotice } from './new-key-notice.jsx';

/** @typedef {import('../types').Request} Request */
/** @typedef {import('../types').Organization} Organization */
/** @typedef {import('./new-key-notice.jsx').NewKey} NewKey */

/**
 * @param {{ request: Request, onCreated: (id: string) => Promise<void> }} props
 */
export function CreateOrganizationForm({ request, onCreated }) {
  const [name, setName] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [newKey, setNewKey] = useState(/** @type {NewKey | null} */ (null));
  const id = useId();

  /** @param {SubmitEvent} event */
  const create = async (event) => {
    event.preventDefault();
    try {
      /** @type {{ createOrganization: { organization: Organization, apiKey: string } }} */
      const { createOrganization } = await request('mutation($name: String!) { createOrganization(name: $name) { organization { id name } apiKey } }', { name: name.trim() });
      setError(null);
      setName('');
      setNewKey({ apiKey: createOrganization.apiKey, organizationName: createOrganization.organization.name });
      await onCreated(createOrganization.organization.id);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form class="stack-form" onSubmit={create} noValidate>
      <h3>New organization</h3>
      <div class="field">
        <label for={`${id}-name`}>Name</label>
        <div class="input-row">
          <input id={`${id}-name`} value={name} onInput={(event) => setName(event.currentTarget.value)} autocomplete="off" />
          <button class="button" type="submit">
            Create
          </button>
        </div>
      </div>
      <ErrorMessage error={error} />
      {newKey && <NewKeyNotice newKey={newKey} onDismiss={() => setNewKey(null)} />}
    </form>
  );
}
