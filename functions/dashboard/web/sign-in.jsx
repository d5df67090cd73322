/**
 * Sign-in: a person with email and password, or through the identity
 * provider when Polaris has one; or, as before, an organization's API key or
 * JWT, or the operator's admin token.
 */
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { GraphqlError, graphql, saveSession } from './api.js';
import { ErrorMessage } from './components.jsx';
import { signInWithPassword } from './session.js';

/** @typedef {import('./types').Session} Session */
/** @typedef {import('./types').CredentialSession} CredentialSession */
/** @typedef {import('./types').OidcConfig} OidcConfig */
/** @typedef {'password' | 'credential'} SignInMode */

/**
 * @param {{ notice: string | null, error?: unknown, initialMode: SignInMode, initialRole: CredentialSession['role'], onSignedIn: (session: Session) => void }} props
 *   `notice`, `error`: why the page is here (a session ended, a sign-in
 *   through the provider failed); `initialMode`, `initialRole`: how the
 *   session that just ended had signed in
 */
export function SignIn({ notice, error: arrivalError, initialMode, initialRole, onSignedIn }) {
  const [mode, setMode] = useState(initialMode);
  // After a switch between the two ways in, focus goes to the new form's first field.
  const [switched, setSwitched] = useState(false);
  const use = (/** @type {SignInMode} */ next) => {
    setMode(next);
    setSwitched(true);
  };
  const [oidc, setOidc] = useState(/** @type {OidcConfig | null} */ (null));
  const heading = useRef(/** @type {HTMLHeadingElement | null} */ (null));

  // Sent back here after a session ended: start from the heading, under the
  // message. A layout effect moves focus in the same task as the render, so a
  // key pressed as soon as the message shows already starts from the heading.
  useLayoutEffect(() => {
    if (notice || arrivalError) heading.current?.focus();
  }, [notice, arrivalError]);

  useEffect(() => {
    let cancelled = false;
    fetch('/auth/oidc', { headers: { accept: 'application/json' }, cache: 'no-store' })
      .then((response) => (response.ok ? response.json() : { enabled: false }))
      .then((config) => !cancelled && setOidc(config))
      // No provider route (an older Polaris), or none reachable: no button.
      .catch(() => !cancelled && setOidc({ enabled: false }));
    return () => {
      cancelled = true;
    };
  }, []);

  return (
    <main id="main" class="sign-in">
      <div class="card sign-in-card">
        <h1 ref={heading} tabIndex={-1}>
          Sign in
        </h1>
        <p class="muted">
          {mode === 'password'
            ? 'Sign in to see your organization’s usage and invoices.'
            : 'See an organization’s usage and invoices with its API key, or manage organizations as the operator.'}
        </p>
        {notice && (
          <div class="alert alert-info" role="alert">
            {notice}
          </div>
        )}
        <ErrorMessage error={arrivalError} title="Cannot sign in:" />
        {mode === 'password' ? (
          <PasswordForm oidc={oidc} focusFirst={switched} onSignedIn={onSignedIn} onUseCredential={() => use('credential')} />
        ) : (
          <CredentialForm initialRole={initialRole} focusFirst={switched} onSignedIn={onSignedIn} onUsePassword={() => use('password')} />
        )}
      </div>
    </main>
  );
}

/**
 * Email and password; the password goes to the API once and is kept nowhere.
 * @param {{ oidc: OidcConfig | null, focusFirst: boolean, onSignedIn: (session: Session) => void, onUseCredential: () => void }} props
 */
function PasswordForm({ oidc, focusFirst, onSignedIn, onUseCredential }) {
  const first = useRef(/** @type {HTMLInputElement | null} */ (null));
  useLayoutEffect(() => {
    if (focusFirst) first.current?.focus();
  }, []);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [busy, setBusy] = useState(false);
  const id = useId();

  /** @param {SubmitEvent} event */
  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    if (!email.trim() || !password) {
      setError(new GraphqlError('Enter your email and password.', 'BAD_USER_INPUT'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await signInWithPassword(email.trim(), password);
      setPassword('');
      onSignedIn(session);
    } catch (err) {
      setError(explainPasswordError(err));
      setBusy(false);
    }
  }

  return (
    <>
      <form class="sign-in-form" onSubmit={submit} noValidate>
        <div class="field">
          <label for={`${id}-email`}>Email</label>
          <input
            ref={first}
            id={`${id}-email`}
            type="email"
            autocomplete="username"
            spellcheck={false}
            value={email}
            onInput={(event) => setEmail(event.currentTarget.value)}
            aria-invalid={error ? 'true' : undefined}
          />
        </div>
        <div class="field">
          <label for={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
            aria-invalid={error ? 'true' : undefined}
          />
        </div>
        <ErrorMessage error={error} title="Cannot sign in:" />
        <button class="button button-primary button-wide" type="submit" aria-busy={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {oidc?.enabled && oidc.startUrl && (
        <>
          <p class="divider">
            <span>or</span>
          </p>
          <a class="button button-wide" href={oidc.startUrl} data-oidc-sign-in>
            Sign in with {oidc.name ?? "your identity provider"}
          </a>
        </>
      )}
      <button class="button button-quiet sign-in-switch" type="button" onClick={onUseCredential}>
        Use an API key or token instead
      </button>
    </>
  );
}

/**
 * An organization's API key or JWT, or the operator's admin token, kept in
 * this tab only.
 * @param {{ initialRole: CredentialSession['role'], focusFirst: boolean, onSignedIn: (session: Session) => void, onUsePassword: () => void }} props
 */
function CredentialForm({ initialRole, focusFirst, onSignedIn, onUsePassword }) {
  const [role, setRole] = useState(initialRole);
  const roles = useRef(/** @type {HTMLFieldSetElement | null} */ (null));
  useLayoutEffect(() => {
    if (focusFirst) roles.current?.querySelector(/** @type {'input'} */ ('input:checked'))?.focus();
  }, []);
  const [credential, setCredential] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [busy, setBusy] = useState(false);
  const id = useId();

  /** @param {SubmitEvent} event */
  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    const value = credential.trim();
    if (!value) {
      setError(new GraphqlError(role === 'operator' ? 'Enter the admin token.' : 'Enter an API key or a JWT.', 'BAD_USER_INPUT'));
      return;
    }
    setBusy(true);
    setError(null);
    /** @type {CredentialSession} */
    const session = { role, credential: value };
    try {
      await graphql(session, role === 'operator' ? '{ organizations { id } }' : '{ me { id } }');
      saveSession(session);
      onSignedIn(session);
    } catch (err) {
      setError(explainRoleMixUp(err, role));
      setBusy(false);
    }
  }

  return (
    <>
      <form class="sign-in-form" onSubmit={submit} noValidate>
        <fieldset class="segmented" ref={roles}>
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
      <button class="button button-quiet sign-in-switch" type="button" onClick={onUsePassword}>
        Use email and password instead
      </button>
    </>
  );
}

/**
 * The API's answer to a sign-in, with the wait when too many failed.
 * @param {unknown} err
 */
function explainPasswordError(err) {
  if (!(err instanceof GraphqlError)) return err;
  if (err.code === 'RATE_LIMITED' && err.retryAfter) {
    return new GraphqlError(`Too many failed sign-ins: try again in ${formatWait(err.retryAfter)}.`, err.code);
  }
  return err;
}

/** @param {number} seconds */
function formatWait(seconds) {
  return seconds < 90 ? `${Math.ceil(seconds)} seconds` : `${Math.ceil(seconds / 60)} minutes`;
}

/**
 * The API's answer, with what to do about the usual mix-up of roles.
 * @param {unknown} err
 * @param {CredentialSession['role']} role
 */
function explainRoleMixUp(err, role) {
  if (!(err instanceof GraphqlError) || err.code !== 'FORBIDDEN') return err;
  const advice = role === 'organization' ? 'This is the operator’s token: sign in as Operator.' : 'This credential belongs to an organization: sign in as Organization.';
  return new GraphqlError(`${err.message}. ${advice}`, err.code);
}

/** What a failed sign-in through the identity provider (`#sign_in_error=<code>`) means, for a person. */
const providerFailures = /** @type {Record<string, string>} */ ({
  access_denied: 'The sign-in was cancelled at the identity provider.',
  email_unverified: 'Your identity provider has not verified your email address.',
  email_missing: 'Your identity provider did not share an email address with Polaris.',
  no_account: 'No Polaris user with your email belongs to an organization. Ask an owner or admin of yours for an invitation.',
  not_a_member: 'You are not a member of that organization.',
  invalid_state: 'The sign-in took too long, or was started in another browser. Please try again.',
  provider_error: 'The identity provider could not complete the sign-in. Please try again.',
  provider_unavailable: 'The identity provider cannot be reached right now. Please try again later.',
  rate_limited: 'Too many sign-ins: wait a few minutes, then try again.',
  sign_in_failed: 'The sign-in could not be completed. Please try again.',
});

/**
 * The error a failed sign-in through the provider shows, by its code.
 * @param {string} code
 */
export function providerFailure(code) {
  const known = Object.hasOwn(providerFailures, code);
  return new GraphqlError(known ? /** @type {string} */ (providerFailures[code]) : providerFailures.sign_in_failed ?? '', known ? code : 'sign_in_failed');
}
