/** OpenID Connect sign-in: the relying party and the cookie that carries a sign-in's state. */
export { FlowCookie, cookieValue, flowCookieName, flowCookiePath, flowLifetimeSeconds, type OidcFlow } from './flow-cookie.js';
export { OidcFailure, OidcRelyingParty, OidcSignInError, type OidcIdentity, type RelyingPartyOptions } from './relying-party.js';
