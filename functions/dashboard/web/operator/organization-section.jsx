/**
 * What every section of the organization panel shares: the props it is
 * given, and its changes with their outcome.
 */
import { useState } from 'preact/hooks';
import { ErrorMessage } from '../components.jsx';

/**
 * @typedef {{ details: import('../types').OrganizationDetails, request: import('../types').Request, reload: () => Promise<void> }} SectionProps
 *   `reload` reads the organization again
 */

/**
 * A section's changes: each runs, then the organization is read again, and
 * the outcome shows in that section, next to what was done.
 * @param {() => Promise<void>} reload
 */
export function useChanges(reload) {
  const [status, setStatus] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (null));
  /**
   * @param {() => Promise<unknown>} change
   * @param {string} done what to announce
   * @returns {Promise<boolean>} whether the change was made
   */
  const run = async (change, done) => {
    setStatus('');
    setError(null);
    try {
      await change();
    } catch (err) {
      setError(err);
      return false;
    }
    setStatus(done);
    await reload();
    return true;
  };
  return { run, status, error };
}

/** @param {{ status: string, error: unknown }} props */
export function Outcome({ status, error }) {
  return (
    <>
      <p class="status-line" role="status">
        {status}
      </p>
      <ErrorMessage error={error} />
    </>
  );
}
