import { Metadata } from '@grpc/grpc-js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { ConfigError, type OidcSettings } from '../../shared/config.js';
import { ErrorKind, NotFoundError, PolarisError } from '../../shared/errors.js';
import { defineHttpFunction, defineServiceContext } from '../../shared/runtime/index.js';
import { requireUuid } from '../../shared/validation.js';
// The client's address as the gateway reads it behind the cluster's proxies, for the sign-in limit and the audit log.
import { clientAddress } from '../../shared/client-address.js';
import { FlowCookie, OidcFailure, OidcRelyingParty, OidcSignInError, type OidcIdentity } from './oidc/index.js';
import { auditMetadata } from '../../shared/audit/index.js';

/**
 * What OpenID Connect sign-in holds: the relying party (its provider's
 * metadata, discovered on the first sign-in), the flow cookie's key, and
 * gRPC clients for Identity's SignInWithOidc. No database.
 */
export const oidcContext = defineServiceContext({
  service: 'identity',
  create(runtime) {
    const { config, clients, logger } = runtime;
    const settings = config.oidc;
    if (!settings) return { enabled: false as const };
    if (!config.sessionSecret) {
      throw new ConfigError(['oidc: POLARIS_OIDC_ISSUER needs POLARIS_SESSION_SECRET, which keys the sign-in cookie and the sessions it starts']);
    }
    // SignInWithOidc starts a session for whomever the provider vouches for: only the operator's token may ask for that.
    const operatorMetadata = () => {
      const metadata = new Metadata();
      if (config.adminToken) metadata.set('authorization', `Bearer ${config.adminToken}`);
      return metadata;
    };
    return {
      enabled: true as const,
      settings,
      relyingParty: new OidcRelyingParty(settings),
      cookie: new FlowCookie(config.sessionSecret, new URL(settings.redirectUrl).protocol === 'https:'),
      signIn: (identity: OidcIdentity, organizationId: string | undefined, clientAddress: string) => {
        const metadata = operatorMetadata();
        metadata.set(auditMetadata.clientAddress, clientAddress);
        return clients.call(
          IdentityService.signInWithOidc,
          {
            email: identity.email ?? '',
            emailVerified: identity.emailVerified,
            issuer: identity.issuer,
            subject: identity.subject,
            organizationId: organizationId ?? '',
            clientAddress,
          },
          metadata,
        );
      },
      logger,
    };
  },
});

type Context = Awaited<ReturnType<(typeof oidcContext)['create']>>;
type EnabledContext = Extract<Context, { enabled: true }>;

const disabled = () =>
  new NotFoundError(
    'oidc_disabled',
    'OpenID Connect sign-in is off: set POLARIS_OIDC_ISSUER, POLARIS_OIDC_CLIENT_ID and POLARIS_OIDC_CLIENT_SECRET (and, outside npm start, POLARIS_OIDC_REDIRECT_URL) to turn it on',
  );

/**
 * Sign-in through an OpenID Connect provider, for the dashboard:
 *
 * - `GET /auth/oidc`: `{"enabled": bool}`, with the provider's name and where
 *   sign-in starts when it is on.
 * - `GET /auth/oidc/start?organization=<id>`: to the provider (authorization
 *   code with PKCE), the sign-in's state in an encrypted cookie.
 * - `GET /auth/oidc/callback`: the provider's answer checked, the verified
 *   email signed in by Identity, and the browser sent to
 *   `/dashboard#refresh_token=<token>`; on failure to
 *   `/dashboard#sign_in_error=<code>`. A fragment reaches neither a server
 *   nor a log; the dashboard trades it for a session at once.
 */
export default defineHttpFunction({
  context: oidcContext,
  routes(app, context) {
    app.get('/auth/oidc', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      if (!context.enabled) return { enabled: false };
      const { settings } = context;
      return { enabled: true, name: providerName(settings), startUrl: new URL('/auth/oidc/start', settings.redirectUrl).toString() };
    });

    app.get<{ Querystring: { organization?: string } }>('/auth/oidc/start', async (request, reply) => {
      if (!context.enabled) throw disabled();
      const organization = request.query.organization;
      const organizationId = organization === undefined || organization === '' ? undefined : requireUuid('organization', organization);
      let started: Awaited<ReturnType<OidcRelyingParty['start']>>;
      try {
        started = await context.relyingParty.start(organizationId);
      } catch (err) {
        return failed(context, request, reply, err);
      }
      return reply
        .header('set-cookie', await context.cookie.seal(started.flow))
        .header('cache-control', 'no-store')
        .redirect(started.url.toString(), 303);
    });

    app.get('/auth/oidc/callback', async (request, reply) => {
      if (!context.enabled) throw disabled();
      // Each sign-in's cookie is used once, whatever the outcome.
      reply.header('set-cookie', context.cookie.clear()).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      const flow = await context.cookie.open(request.headers.cookie);
      try {
        if (!flow) throw new OidcSignInError(OidcFailure.InvalidState, 'no sign-in cookie, or one that is altered or expired');
        const identity = await context.relyingParty.finish(flow, queryOf(request));
        if (!identity.email) throw new OidcSignInError(OidcFailure.EmailMissing, 'the provider gave no email address');
        if (!identity.emailVerified) throw new OidcSignInError(OidcFailure.EmailUnverified, 'the provider has not verified the email address');
        const address = clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for']);
        const session = await context.signIn(identity, flow.organizationId, address).catch((err: unknown) => {
          throw identityFailure(err);
        });
        return reply.redirect(dashboardUrl(context.settings, { refresh_token: session.refreshToken }), 303);
      } catch (err) {
        return failed(context, request, reply, err);
      }
    });
  },
});

/** Sends the browser to the dashboard with the failure's code; logs why, without tokens. */
function failed(context: EnabledContext, request: FastifyRequest, reply: FastifyReply, err: unknown) {
  const failure = err instanceof OidcSignInError ? err.failure : OidcFailure.Failed;
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  const level = failure === OidcFailure.Failed || failure === OidcFailure.ProviderUnavailable || failure === OidcFailure.ProviderError ? 'warn' : 'info';
  request.log[level]({ failure, reason: err instanceof Error ? err.message : String(err), cause }, 'OpenID Connect sign-in failed');
  return reply.header('cache-control', 'no-store').redirect(dashboardUrl(context.settings, { sign_in_error: failure }), 303);
}

const failureByKind: Partial<Record<ErrorKind, OidcFailure>> = {
  // The same answer for an unknown email and a user without a membership, as Identity gives.
  [ErrorKind.Unauthenticated]: OidcFailure.NoAccount,
  [ErrorKind.Forbidden]: OidcFailure.NotAMember,
  [ErrorKind.RateLimited]: OidcFailure.RateLimited,
};

/** Identity's refusal as a sign-in failure. */
function identityFailure(err: unknown): OidcSignInError {
  const kind = err instanceof PolarisError ? err.kind : ErrorKind.Internal;
  return new OidcSignInError(failureByKind[kind] ?? OidcFailure.Failed, `Identity refused the sign-in (${kind})`, { cause: err });
}

/** The request's query string as sent (a parameter given twice stays twice, for openid-client to refuse). */
function queryOf(request: FastifyRequest): URLSearchParams {
  const start = request.url.indexOf('?');
  return new URLSearchParams(start === -1 ? '' : request.url.slice(start + 1));
}

/** The dashboard, on the callback's origin, with `values` in the fragment. */
function dashboardUrl(settings: OidcSettings, values: Record<string, string>): string {
  const url = new URL('/dashboard', settings.redirectUrl);
  url.hash = new URLSearchParams(values).toString();
  return url.toString();
}

/** What the dashboard's button calls the provider: POLARIS_OIDC_PROVIDER_NAME, else the issuer's host. */
function providerName(settings: OidcSettings): string {
  return settings.providerName ?? new URL(settings.issuer).host;
}
