/**
 * A person's session: signed in with email and password or through an
 * identity provider, renewed with its refresh token before the access token
 * expires, switched to another organization, ended. The refresh token works
 * once and the browser's tabs share it (localStorage), so renewals take a
 * lock across tabs and a tab first adopts a session another tab renewed.
 */
import { GraphqlError, graphql, loadUserSession, saveSession } from './api.js';

/** @typedef {import('./types').UserSession} UserSession */
/** @typedef {{ accessToken: string, refreshToken: string, expiresAt: string, role: import('./types').Role, user: import('./types').User, organization: { id: string, name: string } }} SessionAnswer */

const sessionFields = 'accessToken refreshToken expiresAt role user { id email name } organization { id name }';

/** Renew at most this long before the access token expires, so no request meets an expired one. */
const renewAheadMs = 60_000;
/** A request with less left than this renews first (a tab that slept past its timer). */
const nearlyExpiredMs = 15_000;

/**
 * Milliseconds from now until the session is to be renewed: a minute before
 * its access token expires, or after three quarters of a shorter life.
 * @param {UserSession} session
 */
export function renewalDelay(session) {
  const left = Date.parse(session.expiresAt) - Date.now();
  return Math.max(left - renewAheadMs, left * 0.75, 0);
}

/**
 * @param {SessionAnswer} answer
 * @returns {UserSession}
 */
function userSession(answer) {
  return {
    role: 'user',
    accessToken: answer.accessToken,
    refreshToken: answer.refreshToken,
    expiresAt: answer.expiresAt,
    user: answer.user,
    organization: answer.organization,
    memberRole: answer.role,
  };
}

/**
 * Signs in with email and password; the password goes to the API and is
 * kept nowhere.
 * @param {string} email
 * @param {string} password
 * @returns {Promise<UserSession>}
 */
export async function signInWithPassword(email, password) {
  /** @type {{ signIn: SessionAnswer }} */
  const { signIn } = await graphql(null, `mutation SignIn($email: String!, $password: String!) { signIn(email: $email, password: $password) { ${sessionFields} } }`, {
    email,
    password,
  });
  const session = userSession(signIn);
  saveSession(session);
  return session;
}

/**
 * Accepts an invitation (the token of its link): a new user chooses a
 * password, an existing one gives theirs. Answers the session for the
 * invitation's organization.
 * @param {string} token
 * @param {string} password
 * @param {string} name
 * @returns {Promise<UserSession>}
 */
export async function acceptInvitation(token, password, name) {
  /** @type {{ acceptInvitation: SessionAnswer }} */
  const { acceptInvitation: answer } = await graphql(
    null,
    `mutation Accept($token: String!, $password: String!, $name: String) { acceptInvitation(token: $token, password: $password, name: $name) { ${sessionFields} } }`,
    { token, password, name: name || null },
  );
  const session = userSession(answer);
  saveSession(session);
  return session;
}

/**
 * Sets a new password with a reset link's token; every session of the user ends.
 * @param {string} token
 * @param {string} newPassword
 */
export async function resetPassword(token, newPassword) {
  await graphql(null, 'mutation Reset($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) }', { token, password: newPassword });
}

/**
 * Trades a refresh token for a session (rotating it), optionally for another
 * organization; stores the session.
 * @param {string} refreshToken
 * @param {string} [organizationId]
 * @returns {Promise<UserSession>}
 */
export async function exchangeRefreshToken(refreshToken, organizationId) {
  /** @type {{ refreshSession: SessionAnswer }} */
  const { refreshSession } = await graphql(
    null,
    `mutation RefreshSession($token: String!, $organizationId: ID) { refreshSession(refreshToken: $token, organizationId: $organizationId) { ${sessionFields} } }`,
    { token: refreshToken, organizationId: organizationId ?? null },
  );
  const session = userSession(refreshSession);
  saveSession(session);
  return session;
}

/**
 * Runs `task` while no other tab of this browser runs one under the same
 * name (Web Locks). Without them (an insecure context) it simply runs.
 * @template T
 * @param {() => Promise<T>} task
 * @returns {Promise<T>}
 */
function exclusively(task) {
  if (!navigator.locks) return task();
  return /** @type {Promise<T>} */ (navigator.locks.request('polaris.dashboard.refresh', task));
}

/**
 * The session renewed (or, with `organizationId`, switched): unless another
 * tab renewed it since `current` was read, in which case that newer session
 * is the answer and this tab's refresh token, already used, is not sent
 * again (which would end the session).
 * @param {UserSession} current
 * @param {string} [organizationId]
 * @returns {Promise<UserSession>}
 */
export function renewSession(current, organizationId) {
  return exclusively(async () => {
    const stored = loadUserSession();
    if (!stored) throw new GraphqlError('You signed out in another tab.', 'UNAUTHENTICATED');
    const newer = stored.refreshToken !== current.refreshToken;
    if (newer && !organizationId && !expiresSoon(stored)) return stored;
    return exchangeRefreshToken(stored.refreshToken, organizationId);
  });
}

/**
 * Whether the access token is too close to its end to be sent.
 * @param {UserSession} session
 */
export function expiresSoon(session) {
  return Date.parse(session.expiresAt) - Date.now() < nearlyExpiredMs;
}

/**
 * Ends the session at Polaris (its refresh token stops working). The page
 * signs out locally whatever the answer.
 * @param {UserSession} session
 */
export async function signOutUser(session) {
  try {
    await graphql(null, 'mutation SignOut($token: String!) { signOut(refreshToken: $token) }', { token: loadUserSession()?.refreshToken ?? session.refreshToken });
  } catch {
    // Already ended, or Polaris unreachable: the session is gone from this browser either way.
  }
}

/** What the roles may do in the dashboard (the gateway decides; the page hides what would be refused). */
export const roleAbilities = /** @type {const} */ ({
  OWNER: { record: true, manage: true, people: true },
  ADMIN: { record: true, manage: true, people: true },
  MEMBER: { record: true, manage: false, people: false },
  VIEWER: { record: false, manage: false, people: false },
});

/** @param {import('./types').Role} role */
export function roleLabel(role) {
  return role.charAt(0) + role.slice(1).toLowerCase();
}
