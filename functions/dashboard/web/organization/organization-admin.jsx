/**
 * What an organization's owners and admins manage themselves: its API keys
 * and its people. Read in one request, and again after each change.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ErrorMessage } from '../components.jsx';
import { ApiKeysSection, apiKeysFields } from '../operator/api-keys-section.jsx';
import { TeamSection, teamFields } from './team-section.jsx';

/** @typedef {import('../types').Role} Role */
/** @typedef {{ id: string, name: string, apiKeys: import('../types').ApiKey[], members: import('../types').Member[], invitations: import('../types').PendingInvitation[] }} AdminDetails */

/**
 * @param {{ request: import('../types').Request, viewerRole: Role, manage: boolean, people: boolean }} props
 *   `manage`: the API keys; `people`: members and invitations
 */
export function OrganizationAdmin({ request, viewerRole, manage, people }) {
  const [details, setDetails] = useState(/** @type {AdminDetails | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));

  const reload = useCallback(async () => {
    try {
      /** @type {{ me: Pick<AdminDetails, 'id' | 'name'> & Partial<AdminDetails> }} */
      const { me } = await request(`query Administration { me { id name ${manage ? apiKeysFields : ''} ${people ? teamFields : ''} } }`);
      setDetails({ apiKeys: [], members: [], invitations: [], ...me });
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [request, manage, people]);

  useEffect(() => {
    void reload();
  }, [reload]);

  if (!details) return error ? <ErrorMessage error={error} title="Could not load the keys and people:" /> : null;
  return (
    <div class="grid grid-admin">
      {manage && <ApiKeysSection details={/** @type {any} */ (details)} request={request} reload={reload} />}
      {people && <TeamSection organization={details} viewerRole={viewerRole} request={request} reload={reload} />}
    </div>
  );
}
