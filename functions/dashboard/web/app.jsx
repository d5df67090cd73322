/**
 * The page: sign-in, then the organization's view or the operator's. A
 * person's session renews itself before its access token expires and may
 * switch organization; a request answered UNAUTHENTICATED (after a renewal,
 * for a person) ends the session and comes back to sign-in with the reason.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { GraphqlError, clearSession, graphql, loadSession, loadUserSession, userSessionKey } from './api.js';
import { AcceptInvitation, ResetPassword } from './link-forms.jsx';
import { OperatorView } from './operator/operator-view.jsx';
import { OrganizationView } from './organization/organization-view.jsx';
import { exchangeRefreshToken, expiresSoon, renewalDelay, renewSession, roleLabel, signOutUser } from './session.js';
import { SignIn, providerFailure } from './sign-in.jsx';

/** @typedef {import('./types').Session} Session */
/** @typedef {import('./types').UserSession} UserSession */
/** @typedef {import('./types').CredentialSession} CredentialSession */
/** @typedef {import('./types').Request} Request */

/**
 * What a link left in the address: the identity provider's sign-in
 * (`#refresh_token=` or `#sign_in_error=`), an invitation (`#invitation=`)
 * or a password reset (`#password_reset=`). Read once and taken out of the
 * address at once, so no token stays in the address bar or the history.
 * @returns {{ refreshToken?: string, error?: string, invitation?: string, passwordReset?: string }}
 */
function readArrival() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const arrival = {
    refreshToken: fragment.get('refresh_token') ?? undefined,
    error: fragment.get('sign_in_error') ?? undefined,
    invitation: fragment.get('invitation') ?? undefined,
    passwordReset: fragment.get('password_reset') ?? undefined,
  };
  if (Object.values(arrival).some((value) => value !== undefined)) history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  return arrival;
}

/** Seconds between renewals that failed for want of an answer (the network, not the session). */
const renewRetryMs = 10_000;

export function App() {
  const [arrival] = useState(readArrival);
  const [session, setSessionState] = useState(/** @type {() => Session | null} */ (() => (arrival.refreshToken ? null : loadSession())));
  const [arriving, setArriving] = useState(Boolean(arrival.refreshToken));
  // An invitation or a reset link shows its form until it is used or left.
  const [link, setLink] = useState(/** @type {{ kind: 'invitation' | 'reset', token: string } | null} */ (
    arrival.invitation ? { kind: 'invitation', token: arrival.invitation } : arrival.passwordReset ? { kind: 'reset', token: arrival.passwordReset } : null
  ));
  const [notice, setNotice] = useState(/** @type {string | null} */ (null));
  const [signInError, setSignInError] = useState(/** @type {() => unknown} */ (() => (arrival.error ? providerFailure(arrival.error) : null)));
  const [lastSignIn, setLastSignIn] = useState(/** @type {{ mode: 'password' | 'credential', role: CredentialSession['role'] }} */ ({ mode: 'password', role: 'organization' }));
  const [who, setWho] = useState('');
  // Requests and timers read the newest session, whichever render made them.
  const sessionRef = useRef(session);
  const setSession = useCallback((/** @type {Session | null} */ next) => {
    sessionRef.current = next;
    setSessionState(next);
  }, []);

  /** Back to sign-in: `reason` says why; a person's session is ended at Polaris too unless it already was. */
  const endSession = useCallback(
    async (/** @type {string | null} */ reason, /** @type {{ revoke?: boolean }} */ options = {}) => {
      const current = sessionRef.current;
      const person = current?.role === 'user' ? current : loadUserSession();
      // "You signed out" is true once Polaris has ended the session, so the page waits for it.
      if (person && options.revoke) await signOutUser(person);
      if (current) setLastSignIn(current.role === 'user' ? { mode: 'password', role: 'organization' } : { mode: 'credential', role: current.role });
      clearSession();
      setSession(null);
      setWho('');
      setSignInError(null);
      setNotice(reason);
    },
    [setSession],
  );

  const renewing = useRef(/** @type {Promise<UserSession> | null} */ (null));
  const renew = useCallback(
    /**
     * A person's session, renewed (or switched to `organizationId`); ends it
     * when Polaris no longer takes its refresh token.
     * @param {string} [organizationId]
     * @returns {Promise<UserSession>}
     */
    (organizationId) => {
      const current = sessionRef.current;
      if (current?.role !== 'user') return Promise.reject(new GraphqlError('Not signed in.', 'UNAUTHENTICATED'));
      // Requests that find the token expiring together share one renewal: a refresh token sent twice ends the session.
      if (!organizationId && renewing.current) return renewing.current;
      const renewal = renewSession(current, organizationId)
        .then((next) => {
          if (sessionRef.current?.role === 'user') setSession(next);
          return next;
        })
        .catch((err) => {
          if (err instanceof GraphqlError && err.code === 'UNAUTHENTICATED') endSession(`Your session ended: ${err.message} (UNAUTHENTICATED). Sign in again.`);
          throw err;
        })
        .finally(() => {
          if (renewing.current === renewal) renewing.current = null;
        });
      if (!organizationId) renewing.current = renewal;
      return renewal;
    },
    [endSession, setSession],
  );

  // Trade the provider's refresh token for a session, once.
  useEffect(() => {
    if (!arrival.refreshToken) return;
    exchangeRefreshToken(arrival.refreshToken)
      .then((next) => setSession(next))
      .catch((err) => setSignInError(err))
      .finally(() => setArriving(false));
  }, []);

  // Renew shortly before the access token expires; after a failure for want of an answer, try again soon.
  const userExpiry = session?.role === 'user' ? session.expiresAt : null;
  useEffect(() => {
    const current = sessionRef.current;
    if (!userExpiry || current?.role !== 'user') return;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    let stopped = false;
    const schedule = (/** @type {number} */ delay) => {
      timer = setTimeout(() => {
        renew().catch((err) => {
          if (!stopped && !(err instanceof GraphqlError && err.code === 'UNAUTHENTICATED')) schedule(renewRetryMs);
        });
      }, Math.max(delay, 0));
    };
    schedule(renewalDelay(current));
    // A computer that slept past the timer renews as soon as the tab shows.
    const onVisible = () => {
      const current = sessionRef.current;
      if (!document.hidden && current?.role === 'user' && expiresSoon(current)) void renew().catch(() => {});
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [userExpiry, renew]);

  // Another tab renewed, switched or ended the person's session: follow it.
  useEffect(() => {
    const onStorage = (/** @type {StorageEvent} */ event) => {
      if (event.key !== userSessionKey && event.key !== null) return;
      if (sessionRef.current?.role !== 'user') return;
      const stored = loadUserSession();
      if (stored) setSession(stored);
      else endSession('You signed out in another tab.');
    };
    addEventListener('storage', onStorage);
    return () => removeEventListener('storage', onStorage);
  }, [endSession, setSession]);

  // A request's credential is the session's newest; a person's expired access token is renewed and the request sent once more.
  const identity = session ? (session.role === 'user' ? `user:${session.user.id}:${session.organization.id}` : `${session.role}:${session.credential}`) : '';
  /** @type {Request} */
  const request = useCallback(
    async (query, variables) => {
      let current = sessionRef.current;
      if (!current) throw new GraphqlError('Not signed in.', 'UNAUTHENTICATED');
      if (current.role === 'user' && expiresSoon(current)) current = await renew();
      try {
        return await graphql(current, query, variables);
      } catch (err) {
        if (!(err instanceof GraphqlError) || err.code !== 'UNAUTHENTICATED') throw err;
        if (current.role === 'user') {
          // The access token was refused (its session's role changed, or it expired in a sleeping tab): renew once.
          const renewed = await renew();
          try {
            return await graphql(renewed, query, variables);
          } catch (again) {
            if (again instanceof GraphqlError && again.code === 'UNAUTHENTICATED') endSession(`Your session ended: ${again.message} (UNAUTHENTICATED). Sign in again.`);
            throw again;
          }
        }
        endSession(`Your session ended: ${err.message} (UNAUTHENTICATED). Sign in again.`);
        throw err;
      }
    },
    [identity, renew, endSession],
  );

  const switchOrganization = useCallback((/** @type {string} */ organizationId) => renew(organizationId).then(() => undefined), [renew]);

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <span class="brand">
            <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <path d="M12 1.5l2.6 7.9 7.9 2.6-7.9 2.6L12 22.5l-2.6-7.9L1.5 12l7.9-2.6z" />
            </svg>
            Polaris
            <span class="brand-sub">Dashboard</span>
          </span>
          {session && (
            <div class="topbar-session">
              <span class="topbar-who" data-signed-in-as={session.role === 'user' ? session.user.email : session.role}>
                <span class="visually-hidden">Signed in as </span>
                {session.role === 'operator' ? 'Operator' : session.role === 'user' ? session.user.email : who || 'Organization'}
              </span>
              {session.role === 'user' && (
                <span class="badge badge-role" data-role={session.memberRole}>
                  <span class="visually-hidden">, </span>
                  {roleLabel(session.memberRole)}
                </span>
              )}
              <button class="button button-quiet" type="button" onClick={() => endSession('You signed out.', { revoke: true })}>
                Sign out
              </button>
            </div>
          )}
        </div>
      </header>
      {arriving ? (
        <main id="main" class="sign-in" aria-busy="true">
          <p class="loading">Signing you in…</p>
        </main>
      ) : link?.kind === 'invitation' ? (
        <AcceptInvitation
          token={link.token}
          onSignedIn={(signedIn) => {
            setLink(null);
            setNotice(null);
            setSession(signedIn);
          }}
          onCancel={() => setLink(null)}
        />
      ) : link?.kind === 'reset' ? (
        <ResetPassword
          token={link.token}
          onDone={(done) => {
            // The reset ended every session of the user, this browser's too.
            clearSession();
            setSession(null);
            setLink(null);
            setNotice(done);
          }}
        />
      ) : !session ? (
        <SignIn
          notice={notice}
          error={signInError}
          initialMode={lastSignIn.mode}
          initialRole={lastSignIn.role}
          onSignedIn={(signedIn) => {
            setNotice(null);
            setSignInError(null);
            setSession(signedIn);
          }}
        />
      ) : session.role === 'operator' ? (
        <OperatorView request={request} />
      ) : session.role === 'user' ? (
        <OrganizationView
          key={session.organization.id}
          request={request}
          onIdentified={setWho}
          person={{ session, switchOrganization }}
        />
      ) : (
        <OrganizationView request={request} onIdentified={setWho} />
      )}
    </div>
  );
}
