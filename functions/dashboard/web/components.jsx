/** Small pieces both views use. */
import { formatMoney, formatNumber } from './format.js';

/** @typedef {import('preact').ComponentChildren} Children */
/** @typedef {import('./types').OrganizationLimits} OrganizationLimits */

/**
 * An error as the API gave it: its message and its code, with the arguments
 * at fault. Announced when it appears.
 * @param {{ error: unknown, title?: string }} props
 */
export function ErrorMessage({ error, title }) {
  if (!error) return null;
  const { message, code, fields } = /** @type {{ message?: string, code?: string, fields?: { field: string, message: string }[] }} */ (error);
  const problems = fields?.filter((problem) => !message?.includes(problem.message)) ?? [];
  return (
    <div class="alert alert-error" role="alert">
      <p>
        {title && <strong>{title} </strong>}
        {message ?? String(error)}
        {code && <code class="error-code">{code}</code>}
      </p>
      {problems.length > 0 && (
        <ul>
          {problems.map((problem) => (
            <li key={problem.field}>
              <code>{problem.field}</code>: {problem.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** @param {{ title: string, children?: Children }} props */
export function EmptyState({ title, children }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children && <p class="empty-text">{children}</p>}
    </div>
  );
}

/**
 * An exact amount; `data-amount` holds the API's string as it came.
 * @param {{ amount: string, currency: string, class?: string }} props
 */
export function Money({ amount, currency, class: className }) {
  return (
    <span class={['money', className].filter(Boolean).join(' ')} data-amount={amount} data-currency={currency}>
      {formatMoney(amount, currency)}
    </span>
  );
}

/** @param {{ status: string }} props */
export function StatusBadge({ status }) {
  return <span class={`badge badge-${status === 'draft' ? 'draft' : status === 'finalized' ? 'final' : 'muted'}`}>{status}</span>;
}

/**
 * A table that scrolls sideways inside its card on a narrow screen, so the
 * page itself never does; focusable so the keyboard can scroll it too.
 * @param {{ label: string, children: Children }} props
 */
export function TableScroll({ label, children }) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** What the limits read of an organization (free: they come with the organization). */
export const limitsFields = 'limits { ingestRequestsPerSecond ingestEventsPerSecond graphqlCostPerSecond enforced }';

/**
 * An organization's limits, each per second, and whether this deployment
 * enforces them; `data-*` hold the API's numbers as they came.
 * @param {{ limits: OrganizationLimits }} props
 */
export function LimitsTerms({ limits }) {
  return (
    <dl
      class="terms"
      data-limits
      data-ingest-requests-per-second={limits.ingestRequestsPerSecond}
      data-ingest-events-per-second={limits.ingestEventsPerSecond}
      data-graphql-cost-per-second={limits.graphqlCostPerSecond}
      data-enforced={String(limits.enforced)}
    >
      <div>
        <dt>Ingest requests</dt>
        <dd>{formatNumber(limits.ingestRequestsPerSecond)} a second</dd>
      </div>
      <div>
        <dt>Ingest events</dt>
        <dd>{formatNumber(limits.ingestEventsPerSecond)} a second</dd>
      </div>
      <div>
        <dt>GraphQL cost</dt>
        <dd>{formatNumber(limits.graphqlCostPerSecond)} a second</dd>
      </div>
      <div>
        <dt>Enforced</dt>
        <dd>
          {limits.enforced ? (
            <span class="badge badge-ok">yes</span>
          ) : (
            <>
              <span class="badge badge-muted">no</span> this deployment turns every limit off
            </>
          )}
        </dd>
      </div>
    </dl>
  );
}
