/**
 * The official `stripe` package as Polaris uses it: one client per process,
 * made by the first call that needs it, an idempotency key on every call that
 * creates or changes something, and Stripe's errors told apart by what a
 * caller can do about them.
 */
import type Stripe from 'stripe';
import { ConflictError, PolarisError, UnavailableError } from '../../../shared/errors.js';

export type { Stripe };

/** The package, once something needed it. */
let stripePackage: typeof Stripe | undefined;

/**
 * The `stripe` package, loaded by the first call that needs it rather than at
 * start: it is a sixth of the payments bundles, and most of their starts
 * (every scale from zero) never reach Stripe.
 */
export async function loadStripe(): Promise<typeof Stripe> {
  stripePackage ??= (await import('stripe')).default;
  return stripePackage;
}

/** The process's Stripe client, made on first use. */
export type StripeClient = () => Promise<Stripe>;

export interface StripeSettings {
  /** STRIPE_SECRET_KEY. */
  secretKey: string;
  /** For tests: a local stand-in for https://api.stripe.com (POLARIS_STRIPE_API_URL). */
  apiUrl?: string;
}

/** Network retries the package makes itself, with the same idempotency key (Stripe's own advice). */
const networkRetries = 2;
/** Milliseconds one request may take. */
const requestTimeoutMs = 20_000;

export function stripeClient(settings: StripeSettings): StripeClient {
  const target = settings.apiUrl ? new URL(settings.apiUrl) : undefined;
  let client: Promise<Stripe> | undefined;
  return () =>
    (client ??= loadStripe().then(
      (StripePackage) =>
        new StripePackage(settings.secretKey, {
          maxNetworkRetries: networkRetries,
          timeout: requestTimeoutMs,
          telemetry: false,
          appInfo: { name: 'Polaris' },
          ...(target && {
            host: target.hostname,
            port: target.port || (target.protocol === 'https:' ? 443 : 80),
            protocol: target.protocol === 'https:' ? 'https' : 'http',
          }),
        }),
    ));
}

/**
 * The idempotency key of one step of one Polaris object: the same object and
 * step always send the same key, so a retry (redelivered event, restarted
 * process, the package's own retry) gets Stripe's first answer again
 * instead of a second invoice. Stripe keeps keys for at least 24 hours.
 */
export function idempotencyKey(object: 'invoice' | 'organization', id: string, step: string): string {
  return `polaris:${object}:${id}:${step}`;
}

export function isStripeError(err: unknown): err is Stripe.errors.StripeError {
  // Only the loaded package makes Stripe's errors.
  return stripePackage !== undefined && err instanceof stripePackage.errors.StripeError;
}

/** Stripe did not answer, or asked to be asked later: a retry may succeed. */
export function isTransientStripeError(err: unknown): boolean {
  return isStripeError(err) && (err.type === 'StripeConnectionError' || err.type === 'StripeAPIError' || err.type === 'StripeRateLimitError');
}

/** A card declined or a payment that cannot be made (no payment method, action required): the customer's matter, not a fault. */
export function isPaymentRefusal(err: unknown): boolean {
  return isStripeError(err) && (err.type === 'StripeCardError' || (err.type === 'StripeInvalidRequestError' && err.statusCode === 402));
}

/** Stripe refused the request as made (the object's state forbids it, say): asking again gets the same answer. */
export function isRequestRefusal(err: unknown): boolean {
  return isStripeError(err) && err.type === 'StripeInvalidRequestError';
}

/** Stripe answered that the object does not exist. */
export function isMissingResource(err: unknown): boolean {
  return isStripeError(err) && err.code === 'resource_missing';
}

/**
 * What a caller of an RPC sees of a Stripe failure: unavailable when a
 * retry may help, a conflict naming the setting when Stripe refuses the key,
 * and Stripe's own message otherwise (it names the parameter at fault, never
 * the key).
 */
export function publicStripeError(err: unknown): PolarisError | unknown {
  if (!isStripeError(err)) return err;
  if (isTransientStripeError(err)) return new UnavailableError('Stripe did not answer; retry later', { cause: err });
  if (err.type === 'StripeAuthenticationError' || err.type === 'StripePermissionError') {
    return new ConflictError('stripe_key_refused', 'Stripe refused STRIPE_SECRET_KEY: check that it is the account\'s secret key and that it may manage customers and invoices');
  }
  return new ConflictError('stripe_refused', `Stripe refused the request: ${describeStripeError(err)}`);
}

/** Stripe's type, code and message, for logs and the invoice's last error; any key Stripe quotes (masked, as it does) is left out all the same. */
export function describeStripeError(err: unknown): string {
  const text = isStripeError(err) ? [err.type, err.code, err.message].filter(Boolean).join(': ') : err instanceof Error ? err.message : String(err);
  return text.replace(/\b(sk|rk|pk|whsec)_[\w*]+/g, '<$1_…>');
}
