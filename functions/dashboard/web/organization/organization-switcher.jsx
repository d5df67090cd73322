/** A person's organizations: switching renews the session for the one chosen, with the role there. */
import { useEffect, useId, useState } from 'preact/hooks';
import { ErrorMessage } from '../components.jsx';
import { roleLabel } from '../session.js';

/** @typedef {import('../types').Membership} Membership */

/**
 * Shows nothing for a person with one organization.
 * @param {{ organizationId: string, request: import('../types').Request, onSwitch: (organizationId: string) => Promise<void> }} props
 */
export function OrganizationSwitcher({ organizationId, request, onSwitch }) {
  const [memberships, setMemberships] = useState(/** @type {Membership[]} */ ([]));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [busy, setBusy] = useState(false);
  const id = useId();

  useEffect(() => {
    let cancelled = false;
    request('{ memberships { organization { id name } role } }')
      .then((/** @type {any} */ answer) => !cancelled && setMemberships(/** @type {{ memberships: Membership[] }} */ (answer).memberships))
      .catch((err) => !cancelled && setError(err));
    return () => {
      cancelled = true;
    };
  }, [organizationId, request]);

  if (memberships.length < 2 && !error) return null;

  /** @param {Event & { currentTarget: HTMLSelectElement }} event */
  const change = async (event) => {
    const chosen = event.currentTarget.value;
    if (chosen === organizationId) return;
    setBusy(true);
    setError(null);
    try {
      await onSwitch(chosen);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <div class="switcher">
      {memberships.length > 1 && (
        <div class="field">
          <label for={`${id}-organization`}>Organization</label>
          <select id={`${id}-organization`} value={organizationId} onChange={change} disabled={busy} aria-busy={busy} data-organization-switcher>
            {memberships.map((membership) => (
              <option key={membership.organization.id} value={membership.organization.id}>
                {membership.organization.name} · {roleLabel(membership.role)}
              </option>
            ))}
          </select>
        </div>
      )}
      <ErrorMessage error={error} title="Could not switch organization:" />
    </div>
  );
}
