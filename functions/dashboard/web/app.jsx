/**
 * The page: sign-in, then the organization's view or the operator's. A
 * request answered UNAUTHENTICATED ends the session and comes back to
 * sign-in with the reason.
 */
import { useCallback, useState } from 'preact/hooks';
import { GraphqlError, clearSession, graphql, loadSession } from './api.js';
import { OperatorView } from './operator/operator-view.jsx';
import { OrganizationView } from './organization/organization-view.jsx';
import { SignIn } from './sign-in.jsx';

/** @typedef {import('./types').Session} Session */
/** @typedef {import('./types').Request} Request */

export function App() {
  const [session, setSession] = useState(loadSession);
  const [notice, setNotice] = useState(/** @type {string | null} */ (null));
  const [lastRole, setLastRole] = useState(/** @type {Session['role']} */ ('organization'));
  const [who, setWho] = useState('');

  const signOut = useCallback(
    (/** @type {string | null} */ reason) => {
      if (session) setLastRole(session.role);
      clearSession();
      setSession(null);
      setWho('');
      setNotice(reason);
    },
    [session],
  );

  /** @type {Request} */
  const request = useCallback(
    async (query, variables) => {
      if (!session) throw new GraphqlError('Not signed in.', 'UNAUTHENTICATED');
      try {
        return await graphql(session, query, variables);
      } catch (err) {
        if (err instanceof GraphqlError && err.code === 'UNAUTHENTICATED') {
          signOut(`Your session ended: ${err.message} (UNAUTHENTICATED). Sign in again.`);
        }
        throw err;
      }
    },
    [session, signOut],
  );

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
              <span class="topbar-who">
                <span class="visually-hidden">Signed in as </span>
                {session.role === 'operator' ? 'Operator' : who || 'Organization'}
              </span>
              <button class="button button-quiet" type="button" onClick={() => signOut('You signed out.')}>
                Sign out
              </button>
            </div>
          )}
        </div>
      </header>
      {!session ? (
        <SignIn
          notice={notice}
          initialRole={lastRole}
          onSignedIn={(signedIn) => {
            setNotice(null);
            setSession(signedIn);
          }}
        />
      ) : session.role === 'operator' ? (
        <OperatorView request={request} />
      ) : (
        <OrganizationView request={request} onIdentified={setWho} />
      )}
    </div>
  );
}
