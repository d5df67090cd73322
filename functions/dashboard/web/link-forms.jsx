/**
 * The pages a link opens: an invitation (`/dashboard#invitation=<token>`),
 * which sets the new member's password and signs them in, and a password
 * reset (`/dashboard#password_reset=<token>`). The token leaves the address
 * as the page loads (see App).
 */
import { useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { GraphqlError } from './api.js';
import { ErrorMessage } from './components.jsx';
import { acceptInvitation, resetPassword } from './session.js';

/** @typedef {import('./types').Session} Session */

/** What Identity accepts: 8 to 256 characters. */
const passwordLength = { min: 8, max: 256 };

/** @param {string} password */
function passwordProblem(password) {
  return password.length < passwordLength.min || password.length > passwordLength.max
    ? new GraphqlError(`The password must be ${passwordLength.min} to ${passwordLength.max} characters.`, 'BAD_USER_INPUT', [
        { field: 'password', message: `must be ${passwordLength.min} to ${passwordLength.max} characters` },
      ])
    : null;
}

/**
 * @param {{ token: string, onSignedIn: (session: Session) => void, onCancel: () => void }} props
 */
export function AcceptInvitation({ token, onSignedIn, onCancel }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [busy, setBusy] = useState(false);
  const heading = useRef(/** @type {HTMLHeadingElement | null} */ (null));
  const id = useId();
  useLayoutEffect(() => heading.current?.focus(), []);

  /** @param {SubmitEvent} event */
  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    const problem = passwordProblem(password);
    if (problem) return setError(problem);
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await acceptInvitation(token, password, name.trim()));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in">
      <form class="card sign-in-card" onSubmit={submit} noValidate>
        <h1 ref={heading} tabIndex={-1}>
          Join your organization
        </h1>
        <p class="muted">You were invited to Polaris. New here? Choose a password. Already have an account? Enter your password.</p>
        <div class="field">
          <label for={`${id}-name`}>Your name</label>
          <input id={`${id}-name`} autocomplete="name" value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </div>
        <div class="field">
          <label for={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            type="password"
            autocomplete="new-password"
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
            aria-describedby={`${id}-hint`}
            aria-invalid={error ? 'true' : undefined}
          />
          <p class="hint" id={`${id}-hint`}>
            At least {passwordLength.min} characters.
          </p>
        </div>
        <ErrorMessage error={error} title="Cannot accept the invitation:" />
        <button class="button button-primary button-wide" type="submit" aria-busy={busy}>
          {busy ? 'Joining…' : 'Accept invitation'}
        </button>
        <button class="button button-quiet sign-in-switch" type="button" onClick={onCancel}>
          Go to sign-in
        </button>
      </form>
    </main>
  );
}

/**
 * @param {{ token: string, onDone: (notice: string) => void }} props
 */
export function ResetPassword({ token, onDone }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [busy, setBusy] = useState(false);
  const heading = useRef(/** @type {HTMLHeadingElement | null} */ (null));
  const id = useId();
  useLayoutEffect(() => heading.current?.focus(), []);

  /** @param {SubmitEvent} event */
  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    const problem = passwordProblem(password);
    if (problem) return setError(problem);
    setBusy(true);
    setError(null);
    try {
      await resetPassword(token, password);
      onDone('Your new password is set, and every earlier session has ended. Sign in with it.');
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in">
      <form class="card sign-in-card" onSubmit={submit} noValidate>
        <h1 ref={heading} tabIndex={-1}>
          Choose a new password
        </h1>
        <div class="field">
          <label for={`${id}-password`}>New password</label>
          <input
            id={`${id}-password`}
            type="password"
            autocomplete="new-password"
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
            aria-describedby={`${id}-hint`}
            aria-invalid={error ? 'true' : undefined}
          />
          <p class="hint" id={`${id}-hint`}>
            At least {passwordLength.min} characters. The link works once.
          </p>
        </div>
        <ErrorMessage error={error} title="Cannot set the password:" />
        <button class="button button-primary button-wide" type="submit" aria-busy={busy}>
          {busy ? 'Saving…' : 'Set password'}
        </button>
      </form>
    </main>
  );
}
