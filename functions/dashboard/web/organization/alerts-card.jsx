/**
 * The organization's usage alerts, each budget with the thresholds reached
 * this billing period, and its entitlements: what it may use, and how much
 * of each metered limit this period has used; and its limits per second.
 */
import { EmptyState, LimitsTerms } from '../components.jsx';
import { formatDay, formatDecimal } from '../format.js';

/** @typedef {import('../types').UsageAlert} UsageAlert */
/** @typedef {import('../types').Entitlement} Entitlement */
/** @typedef {import('../types').OrganizationLimits} OrganizationLimits */

/** What this card reads of the organization (through `me`). */
export const alertsFields =
  'usageAlerts { id metric budget percentages crossings { percent threshold value periodStart periodEnd crossedAt } } entitlements { id feature type enabled metric limit soft access { hasAccess usage limit overLimit resetsAt } }';

/**
 * The crossings of the current billing period: those of the newest period
 * that holds now. Periods follow the organization's time zone, so the
 * crossing's own period says which is current.
 * @param {UsageAlert} alert
 */
function crossedNow(alert) {
  const now = Date.now();
  return alert.crossings.filter((crossing) => new Date(crossing.periodStart).getTime() <= now && now < new Date(crossing.periodEnd).getTime());
}

/** @param {{ alerts: UsageAlert[], entitlements: Entitlement[], limits: OrganizationLimits }} props */
export function AlertsCard({ alerts, entitlements, limits }) {
  return (
    <section class="card" aria-labelledby="alerts-and-limits" data-alerts-card>
      <div class="card-header">
        <h2 id="alerts-and-limits">Alerts and limits</h2>
      </div>
      <h3 class="subheading">Usage alerts</h3>
      {alerts.length === 0 ? (
        <EmptyState title="No usage alerts">Owners, admins and MANAGE keys set a budget to be warned at, on a metric or on the invoice amount.</EmptyState>
      ) : (
        <ul class="watch-list">
          {alerts.map((alert) => {
            const crossed = crossedNow(alert);
            const reached = new Set(crossed.map((crossing) => crossing.percent));
            return (
              <li key={alert.id} class="watch-item" data-alert-id={alert.id} data-crossed={crossed.map((crossing) => crossing.percent).join(' ')}>
                <div class="watch-head">
                  <span class="watch-name">{alert.metric ?? 'Invoice amount'}</span>
                  <span class="muted small">budget {formatDecimal(alert.budget)}</span>
                </div>
                <ul class="watch-thresholds" aria-label="Thresholds">
                  {alert.percentages.map((percent) => (
                    <li key={percent} class={`badge ${reached.has(percent) ? 'badge-draft' : 'badge-muted'}`}>
                      {formatDecimal(percent)}%{reached.has(percent) ? ' reached' : ''}
                    </li>
                  ))}
                </ul>
                {crossed.length > 0 && (
                  <p class="muted small">
                    {crossed
                      .map((crossing) => `${formatDecimal(crossing.percent)}% (${formatDecimal(crossing.threshold)}) reached at ${formatDecimal(crossing.value)} on ${formatDay(crossing.crossedAt)}`)
                      .join(' · ')}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <h3 class="subheading">Entitlements</h3>
      {entitlements.length === 0 ? (
        <EmptyState title="No entitlements">The features and limits of your plan show here once the operator sets them.</EmptyState>
      ) : (
        <ul class="watch-list">
          {entitlements.map((entitlement) => (
            <EntitlementItem key={entitlement.id} entitlement={entitlement} />
          ))}
        </ul>
      )}
      <h3 class="subheading">Limits per second</h3>
      <p class="muted small">What the organization may send across every key and session; past one, requests are refused (HTTP 429) until it refills. The operator sets them.</p>
      <LimitsTerms limits={limits} />
    </section>
  );
}

/** @param {{ entitlement: Entitlement }} props */
function EntitlementItem({ entitlement }) {
  const { access } = entitlement;
  const badge = access.hasAccess ? (access.overLimit ? ['badge-draft', 'over the soft limit'] : ['badge-ok', 'available']) : ['badge-muted', entitlement.type === 'METERED' ? 'limit reached' : 'off'];
  return (
    <li class="watch-item" data-feature={entitlement.feature} data-has-access={String(access.hasAccess)}>
      <div class="watch-head">
        <span class="watch-name">{entitlement.feature}</span>
        <span class={`badge ${badge[0]}`}>{badge[1]}</span>
      </div>
      {entitlement.type === 'METERED' && access.usage !== null && access.limit !== null && (
        <>
          {/* For display only: the figures beside it are the exact ones. Past 80% the browser colours it as high. */}
          <meter
            class="watch-meter"
            min={0}
            max={Number(access.limit) || 1}
            low={0.8 * (Number(access.limit) || 1)}
            high={0.8 * (Number(access.limit) || 1)}
            optimum={0}
            value={Math.min(Number(access.usage), Number(access.limit) || 1)}
            aria-label={`${entitlement.feature} used`}
          />
          <p class="muted small">
            {formatDecimal(access.usage)} of {formatDecimal(access.limit)} {entitlement.metric !== entitlement.feature ? entitlement.metric : ''} this period ·{' '}
            {entitlement.soft ? 'soft limit' : 'hard limit'}
            {access.resetsAt ? ` · resets ${formatDay(access.resetsAt)}` : ''}
          </p>
        </>
      )}
    </li>
  );
}
