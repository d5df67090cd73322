/**
 * An organization's view: this month's usage per metric, the draft invoice
 * as it follows that usage, one metric by its meter's windows and groups,
 * past invoices, its usage alerts, entitlements and limits, refreshing every few
 * seconds; and its webhook endpoints when its credential may manage them.
 */
import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ErrorMessage } from '../components.jsx';
import { currentMonth, formatMonth } from '../format.js';
import { loadAddedMetrics, saveAddedMetrics } from './added-metrics.js';
import { AlertsCard } from './alerts-card.jsx';
import { CurrentInvoiceCard } from './current-invoice-card.jsx';
import { dashboardQuery, metricsOf } from './dashboard-query.js';
import { LiveStatus, useLiveRefresh } from './live-refresh.jsx';
import { MeterCard } from './meter-card.jsx';
import { OrganizationAdmin } from './organization-admin.jsx';
import { OrganizationSwitcher } from './organization-switcher.jsx';
import { PastInvoicesCard } from './past-invoices-card.jsx';
import { RecordUsageCard } from './record-usage-card.jsx';
import { UsageCard } from './usage-card.jsx';
import { roleAbilities } from '../session.js';
import { WebhooksSection } from '../webhooks-section.jsx';

/** @typedef {import('../types').Request} Request */
/** @typedef {import('./dashboard-query.js').Dashboard} Dashboard */

/**
 * @param {{ request: Request, onIdentified: (name: string) => void, person?: { session: import('../types').UserSession, switchOrganization: (organizationId: string) => Promise<void> } }} props
 *   `person`: a signed-in person, who may switch organization and sees
 *   what their role may do; without it (an API key or JWT) the view only reads
 */
export function OrganizationView({ request, onIdentified, person }) {
  const [dashboard, setDashboard] = useState(/** @type {Dashboard | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [updatedAt, setUpdatedAt] = useState(/** @type {Date | null} */ (null));
  const [added, setAdded] = useState(loadAddedMetrics);
  const addedRef = useRef(added);
  const asked = useRef(/** @type {string[]} */ ([]));
  const heading = useRef(/** @type {HTMLHeadingElement | null} */ (null));

  const refresh = useCallback(async () => {
    // A metric first seen in this answer (a new plan, a new line) is asked for once more right away.
    for (let round = 0; round < 2; round++) {
      const metrics = asked.current;
      /** @type {Record<string, any>} */
      const answer = await request(dashboardQuery(metrics), Object.fromEntries(metrics.map((metric, index) => [`m${index}`, metric])));
      const known = metricsOf(answer.me.plans, answer.invoices, addedRef.current);
      asked.current = known;
      setDashboard({
        me: answer.me,
        invoices: answer.invoices,
        meters: answer.meters,
        usage: new Map(metrics.map((metric, index) => [metric, answer[`u${index}`] ?? []])),
        month: new Map(metrics.map((metric, index) => [metric, answer[`t${index}`]?.[0]?.total ?? 0])),
      });
      setUpdatedAt(new Date());
      setError(null);
      if (known.every((metric) => metrics.includes(metric))) return;
    }
  }, [request]);

  useLiveRefresh(refresh, setError);

  const name = dashboard?.me.name;
  // Focus moves with the render that shows the name (see SignIn).
  useLayoutEffect(() => {
    if (!name) return;
    onIdentified(name);
    heading.current?.focus();
  }, [name]);

  /** @param {string[]} metrics */
  const changeAdded = (metrics) => {
    addedRef.current = metrics;
    saveAddedMetrics(metrics);
    setAdded(metrics);
    if (dashboard) asked.current = metricsOf(dashboard.me.plans, dashboard.invoices, metrics);
    refresh().catch(setError);
  };

  if (!dashboard) {
    return (
      <main id="main" class="page" aria-busy="true">
        {error ? <ErrorMessage error={error} title="Could not load your dashboard:" /> : <p class="loading">Loading your usage and invoices…</p>}
      </main>
    );
  }

  const abilities = person ? roleAbilities[person.session.memberRole] : null;
  const month = currentMonth();
  const now = new Date();
  const current = dashboard.invoices.find((invoice) => new Date(invoice.periodStart) <= now && now < new Date(invoice.periodEnd));
  const past = dashboard.invoices.filter((invoice) => invoice !== current);
  const metrics = [...dashboard.usage.keys()];

  return (
    <main id="main" class="page">
      <div class="page-header">
        <div>
          <h1 ref={heading} tabIndex={-1}>
            {dashboard.me.name}
          </h1>
          <p class="muted">Usage and billing for {formatMonth(month.start)} (UTC)</p>
          {person && <OrganizationSwitcher organizationId={person.session.organization.id} request={request} onSwitch={person.switchOrganization} />}
        </div>
        <LiveStatus stale={Boolean(error)} updatedAt={updatedAt} />
      </div>
      <ErrorMessage error={error} title="Could not refresh:" />
      <div class="grid grid-organization">
        <UsageCard
          usage={dashboard.usage}
          totals={dashboard.month}
          meters={dashboard.meters}
          metrics={metrics}
          month={month}
          plans={dashboard.me.plans}
          added={added}
          onAddedChange={changeAdded}
        />
        <CurrentInvoiceCard invoice={current} />
      </div>
      <MeterCard request={request} metrics={metrics} meters={dashboard.meters} refreshedAt={updatedAt} />
      <PastInvoicesCard invoices={past} />
      <AlertsCard alerts={dashboard.me.usageAlerts} entitlements={dashboard.me.entitlements} limits={dashboard.me.limits} />
      {abilities?.record && <RecordUsageCard request={request} onRecorded={() => void refresh().catch(setError)} />}
      {person && abilities && (abilities.manage || abilities.people) && (
        <OrganizationAdmin request={request} viewerRole={person.session.memberRole} manage={abilities.manage} people={abilities.people} />
      )}
      <WebhooksSection request={request} />
    </main>
  );
}
