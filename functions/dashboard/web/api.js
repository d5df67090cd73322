/**
 * The dashboard's only way to Polaris: the public GraphQL API on the same
 * origin, with the credential of the session.
 */

/** @typedef {import('./types').Session} Session */
/** @typedef {import('./types').UserSession} UserSession */
/** @typedef {{ field: string, message: string }} FieldProblem */

/** Everything the page keeps is under this prefix, and goes at sign-out. */
const storagePrefix = 'polaris.dashboard.';
/** A pasted credential: this tab's sessionStorage. */
const sessionKey = `${storagePrefix}session`;
/** A person's session: localStorage, shared by the browser's tabs (see UserSession). */
export const userSessionKey = `${storagePrefix}user-session`;

/** An error answered by the API (its `extensions.code`), or a request that never got an answer. */
export class GraphqlError extends Error {
  /**
   * @param {string} message
   * @param {string} code `UNAUTHENTICATED`, `FORBIDDEN`, `BAD_USER_INPUT`, … or `NETWORK`
   * @param {FieldProblem[]} [fields] the arguments at fault, for `BAD_USER_INPUT`
   * @param {number} [retryAfter] seconds to wait, for `RATE_LIMITED`
   */
  constructor(message, code, fields = [], retryAfter = undefined) {
    super(message);
    this.code = code;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }
}

/**
 * This tab's pasted credential, else the browser's signed-in person.
 * @returns {Session | null}
 */
export function loadSession() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(sessionKey) ?? 'null');
    if ((stored?.role === 'organization' || stored?.role === 'operator') && typeof stored.credential === 'string') return stored;
  } catch {
    // A damaged entry is the same as none.
  }
  return loadUserSession();
}

/** @returns {UserSession | null} */
export function loadUserSession() {
  try {
    const stored = JSON.parse(localStorage.getItem(userSessionKey) ?? 'null');
    if (stored?.role === 'user' && typeof stored.refreshToken === 'string' && typeof stored.accessToken === 'string' && stored.organization && stored.user) return stored;
  } catch {
    // A damaged entry is the same as none.
  }
  return null;
}

/** @param {Session} session */
export function saveSession(session) {
  if (session.role === 'user') {
    // One way in at a time: a person's session replaces a pasted credential.
    sessionStorage.removeItem(sessionKey);
    localStorage.setItem(userSessionKey, JSON.stringify(session));
  } else {
    sessionStorage.setItem(sessionKey, JSON.stringify(session));
  }
}

export function clearSession() {
  for (const key of Object.keys(sessionStorage)) if (key.startsWith(storagePrefix)) sessionStorage.removeItem(key);
  localStorage.removeItem(userSessionKey);
}

/** How Identity makes API keys: `pol_` and 40 base64url characters. */
const apiKeyPattern = /^pol_[\w-]{40}$/;

/**
 * An API key goes in `X-API-Key`; anything else (a JWT, the operator's admin
 * token) in `Authorization: Bearer`, so an admin token entered as an
 * organization's gets FORBIDDEN, which says what to do, not UNAUTHENTICATED.
 * A person's session sends its access token.
 * @param {Session | null} session none: sign-in and the other calls that need no credential
 * @returns {Record<string, string>}
 */
function credentialHeaders(session) {
  if (!session) return {};
  if (session.role === 'user') return { authorization: `Bearer ${session.accessToken}` };
  const isApiKey = session.role === 'organization' && apiKeyPattern.test(session.credential);
  return isApiKey ? { 'x-api-key': session.credential } : { authorization: `Bearer ${session.credential}` };
}

/**
 * Runs one GraphQL operation; resolves with its `data`, rejects with the
 * first error.
 * @template T
 * @param {Session | null} session
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 * @returns {Promise<T>}
 */
export async function graphql(session, query, variables = {}) {
  /** @type {Response} */
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...credentialHeaders(session) },
      body: JSON.stringify({ query, variables }),
      cache: 'no-store',
    });
  } catch {
    throw new GraphqlError('Polaris cannot be reached. Check the connection; the figures refresh once it is back.', 'NETWORK');
  }
  /** @type {{ data?: T | null, errors?: { message: string, extensions?: { code?: string, fields?: FieldProblem[], retryAfter?: number } }[] }} */
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GraphqlError(`Polaris answered ${response.status} ${response.statusText} without a GraphQL body.`, `HTTP_${response.status}`);
  }
  const [error] = body.errors ?? [];
  if (error) {
    const code = error.extensions?.code ?? (response.status === 401 ? 'UNAUTHENTICATED' : `HTTP_${response.status}`);
    throw new GraphqlError(error.message, code, error.extensions?.fields ?? [], error.extensions?.retryAfter);
  }
  if (!body.data) throw new GraphqlError(`Polaris answered ${response.status} without data.`, `HTTP_${response.status}`);
  return body.data;
}

/**
 * An invoice as a PDF (`GET /invoices/<id>.pdf`) with the session's
 * credential, and the file name Polaris gives it. A plain link could not send
 * the credential, which never goes in a URL; the page hands the document to
 * the browser as a blob instead.
 * @param {Session} session
 * @param {string} invoiceId
 * @returns {Promise<{ blob: Blob, fileName: string }>}
 */
export async function fetchInvoicePdf(session, invoiceId) {
  /** @type {Response} */
  let response;
  try {
    response = await fetch(`/invoices/${encodeURIComponent(invoiceId)}.pdf`, { headers: credentialHeaders(session), cache: 'no-store' });
  } catch {
    throw new GraphqlError('Polaris cannot be reached. Check the connection and try again.', 'NETWORK');
  }
  if (!response.ok) {
    /** @type {{ error?: { code?: string, message?: string } }} */
    let body = {};
    try {
      body = await response.json();
    } catch {
      // No JSON error: the status says it.
    }
    const code = response.status === 401 ? 'UNAUTHENTICATED' : (body.error?.code ?? `HTTP_${response.status}`);
    throw new GraphqlError(body.error?.message ?? `Polaris answered ${response.status} ${response.statusText}.`, code);
  }
  const fileName = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `${invoiceId}.pdf`;
  return { blob: await response.blob(), fileName };
}
