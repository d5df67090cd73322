/** Sign-in: an organization's API key or JWT, or the operator's admin token. */
import { useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { GraphqlError, graphql, saveSession } from './api.js';
import { ErrorMessage } from './components.jsx';

/** @typedef {import('./types').Session} Session */

/**
 * @param {{ notice: string | null, initialRole: Session['role'], onSignedIn: (session: Session) => void }} props
 *   `initialRole`: the role of the session that just ended, if any
 */
export function SignIn({ notice, initialRole, onSignedIn }) {
  const [role, setRole] = useState(initialRole);
  const [credential, setCredential] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [busy, setBusy] = useState(false);
  const heading = useRef(/** @type {HTMLHeadingElement | null} */ (null));
  const id = useId();

  // Sent back here after a session ended: start from the heading, under the
  // message. A layout effect moves focus in the same task as the render, so a
  // key pressed as soon as the message shows already starts from the heading.
  useLayoutEffect(() => {
    if (notice) heading.current?.focus();
  }, [notice]);

  /** @param {SubmitEvent} event */
  async function signIn(event) {
    event.preventDefault();
    if (busy) return;
    const value = credential.trim();
    if (!value) {
      setError(new GraphqlError(role === 'operator' ? 'Enter the admin token.' : 'Enter an API key or a JWT.', 'BAD_USER_INPUT'));
      return;
    }
    setBusy(true);
    setError(null);
    const session = { role, credential: value };
    try {
      await graphql(session, role === 'operator' ? '{ organizations { id } }' : '{ me { id } }');
      saveSession(session);
      onSignedIn(session);
    } catch (err) {
      setError(explain(err, role));
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in">
      <form class="card sign-in-card" onSubmit={signIn} noValidate>
        <h1 ref={heading} tabIndex={-1}>
          Sign in
        </h1>
        <p class="muted">See your organization's usage and invoices, or manage organizations as the operator.</p>
        {notice && (
          <div class="alert alert-info" role="alert">
            {notice}
          </div>
        )}
        <fieldset class="segmented">
          <legend>Sign in as</legend>
          {/** @type {const} */ (['organization', 'operator']).map((option) => (
            <label key={option}>
              <input type="radio" name="role" value={option} checked={role === option} onChange={() => setRole(option)} />
              <span>{option === 'organization' ? 'Organization' : 'Operator'}</span>
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for={`${id}-credential`}>{role === 'operator' ? 'Admin token' : 'API key or JWT'}</label>
          <input
            id={`${id}-credential`}
            type="password"
            autocomplete="off"
            spellcheck={false}
            value={credential}
            onInput={(event) => setCredential(event.currentTarget.value)}
            aria-describedby={`${id}-hint`}
            aria-invalid={error ? 'true' : undefined}
            placeholder={role === 'operator' ? 'pol_admin_…' : 'pol_… or eyJ…'}
          />
          <p class="hint" id={`${id}-hint`}>
            Kept in this browser tab only, and sent only to this Polaris's GraphQL API.
          </p>
        </div>
        <ErrorMessage error={error} title="Cannot sign in:" />
        <button class="button button-primary button-wide" type="submit" aria-busy={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

/**
 * The API's answer, with what to do about the usual mix-up of roles.
 * @param {unknown} err
 * @param {Session['role']} role
 */
function explain(err, role) {
  if (!(err instanceof GraphqlError) || err.code !== 'FORBIDDEN') return err;
  const advice = role === 'organization' ? 'This is the operator’s token: sign in as Operator.' : 'This credential belongs to an organization: sign in as Organization.';
  return new GraphqlError(`${err.message}. ${advice}`, err.code);
}
