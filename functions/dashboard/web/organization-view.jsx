/**
 * An organization's view: this month's usage per metric, the draft invoice
 * as it follows that usage, and past invoices. Refreshes every few seconds.
 */
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { EmptyState, ErrorMessage, Money, StatusBadge, TableScroll } from './components.jsx';
import { currentMonth, formatDecimal, formatMonth, formatNumber, formatPeriod, formatTime, formatWeekday, isoDay } from './format.js';
import { UsageChart, seriesColor } from './usage-chart.jsx';

/** @typedef {import('./types').Request} Request */
/** @typedef {import('./types').Plan} Plan */
/** @typedef {import('./types').Invoice} Invoice */
/** @typedef {import('./types').UsageAggregate} UsageAggregate */
/** @typedef {{ me: { id: string, name: string, plans: Plan[] }, invoices: Invoice[], usage: Map<string, UsageAggregate[]> }} Dashboard */

export const refreshSeconds = 4;
const metricPattern = /^[a-z][a-z0-9_.-]{0,63}$/;
/** Beside the session (api.js), so it goes at sign-out. */
const addedMetricsKey = 'polaris.dashboard.metrics';

/**
 * One request for everything the view shows; `usage` needs a metric, so
 * each metric is asked for under its own alias.
 * @param {string[]} metrics
 */
function dashboardQuery(metrics) {
  const parameters = metrics.map((_, index) => `$m${index}: String!`).join(', ');
  const usage = metrics.map((_, index) => `u${index}: usage(metric: $m${index}) { metric total periodStart periodEnd }`).join('\n');
  return `query Dashboard${parameters ? `(${parameters})` : ''} {
    me { id name plans { id name metric unitPrice freeQuota } }
    invoices { id status periodStart periodEnd amount currency lineItems { metric quantity freeQuota billableQuantity unitPrice amount } }
    ${usage}
  }`;
}

/**
 * The organization's metrics: those its plans price, those its invoices
 * billed, and those the viewer added.
 * @param {Plan[]} plans
 * @param {Invoice[]} invoices
 * @param {string[]} added
 */
function metricsOf(plans, invoices, added) {
  const metrics = new Set(plans.map((plan) => plan.metric));
  for (const invoice of invoices) for (const item of invoice.lineItems ?? []) metrics.add(item.metric);
  for (const metric of added) metrics.add(metric);
  return [...metrics].sort();
}

/** @returns {string[]} */
function loadAddedMetrics() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(addedMetricsKey) ?? '[]');
    return Array.isArray(stored) ? stored.filter((metric) => typeof metric === 'string' && metricPattern.test(metric)) : [];
  } catch {
    return [];
  }
}

/**
 * @param {{ request: Request, onIdentified: (name: string) => void }} props
 */
export function OrganizationView({ request, onIdentified }) {
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
      setDashboard({ me: answer.me, invoices: answer.invoices, usage: new Map(metrics.map((metric, index) => [metric, answer[`u${index}`] ?? []])) });
      setUpdatedAt(new Date());
      setError(null);
      if (known.every((metric) => metrics.includes(metric))) return;
    }
  }, [request]);

  useEffect(() => {
    let stopped = false;
    let inFlight = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const tick = async () => {
      clearTimeout(timer);
      if (inFlight) return;
      inFlight = true;
      // A hidden tab asks for nothing; it catches up when shown again.
      try {
        if (!document.hidden) await refresh();
      } catch (err) {
        if (!stopped) setError(err);
      } finally {
        inFlight = false;
      }
      if (!stopped) timer = setTimeout(tick, refreshSeconds * 1000);
    };
    const onVisible = () => {
      if (!document.hidden) void tick();
    };
    void tick();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refresh]);

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
    sessionStorage.setItem(addedMetricsKey, JSON.stringify(metrics));
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
        </div>
        <p class={error ? 'live live-stale' : 'live'}>
          <span class="live-dot" aria-hidden="true" />
          {error ? 'Not updating' : 'Live'} · updated {updatedAt ? formatTime(updatedAt) : '—'}
          <span class="visually-hidden">; figures refresh every {refreshSeconds} seconds</span>
        </p>
      </div>
      <ErrorMessage error={error} title="Could not refresh:" />
      <div class="grid grid-organization">
        <UsageCard usage={dashboard.usage} metrics={metrics} month={month} plans={dashboard.me.plans} added={added} onAddedChange={changeAdded} />
        <CurrentInvoiceCard invoice={current} />
      </div>
      <section class="card" aria-labelledby="past-invoices">
        <div class="card-header">
          <h2 id="past-invoices">Past invoices</h2>
        </div>
        {past.length === 0 ? (
          <EmptyState title="No past invoices">Invoices of earlier months show here once they exist.</EmptyState>
        ) : (
          <TableScroll label="Past invoices">
            <table class="table table-stack" data-past-invoices>
              <thead>
                <tr>
                  <th scope="col">Period</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="numeric">
                    Amount
                  </th>
                </tr>
              </thead>
              <tbody>
                {past.map((invoice) => (
                  <tr key={invoice.id} data-invoice-id={invoice.id}>
                    <th scope="row">{formatPeriod(invoice.periodStart, invoice.periodEnd)}</th>
                    <td data-label="Status">
                      <StatusBadge status={invoice.status} />
                    </td>
                    <td class="numeric" data-label="Amount">
                      <Money amount={invoice.amount} currency={invoice.currency} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>
    </main>
  );
}

/**
 * @param {{ usage: Map<string, UsageAggregate[]>, metrics: string[], month: { start: Date, end: Date }, plans: Plan[], added: string[], onAddedChange: (metrics: string[]) => void }} props
 */
function UsageCard({ usage, metrics, month, plans, added, onAddedChange }) {
  const [hidden, setHidden] = useState(/** @type {Set<string>} */ (new Set()));
  const today = isoDay(new Date());
  /** @type {string[]} UTC days of the month, `YYYY-MM-DD` */
  const days = [];
  for (let day = month.start.getTime(); day < month.end.getTime(); day += 86_400_000) days.push(isoDay(new Date(day)));
  /** @type {Map<string, Map<string, number>>} metric → day → total */
  const daily = new Map(metrics.map((metric) => [metric, new Map((usage.get(metric) ?? []).map((aggregate) => [aggregate.periodStart.slice(0, 10), aggregate.total]))]));
  const totals = new Map(metrics.map((metric) => [metric, [...(daily.get(metric)?.values() ?? [])].reduce((sum, total) => sum + total, 0)]));
  const activeDays = days.filter((day) => metrics.some((metric) => daily.get(metric)?.has(day)));
  // The table lists what was used; a metric with no usage this month shows its 0 above.
  const usedMetrics = metrics.filter((metric) => (daily.get(metric)?.size ?? 0) > 0);
  const planned = new Set(plans.map((plan) => plan.metric));

  return (
    <section class="card card-usage" aria-labelledby="usage-title">
      <div class="card-header">
        <h2 id="usage-title">Usage this month</h2>
      </div>
      {metrics.length === 0 ? (
        <EmptyState title="No metrics yet">Usage shows here for the metrics your plans price. Add a metric name below to follow any other.</EmptyState>
      ) : (
        <>
          <ul class="stats" aria-live="polite" aria-label="Usage this month per metric; press one to show or hide it in the chart">
            {metrics.map((metric, index) => (
              <li key={metric} data-metric-total={metric} data-value={String(totals.get(metric) ?? 0)}>
                {/* Each figure also shows or hides its metric in the chart, whose scale then fits the others. */}
                <button
                  type="button"
                  class="stat"
                  aria-pressed={!hidden.has(metric)}
                  title={hidden.has(metric) ? 'Show in the chart' : 'Hide from the chart'}
                  onClick={() => {
                    const next = new Set(hidden);
                    if (!next.delete(metric)) next.add(metric);
                    setHidden(next);
                  }}
                >
                  <span class="stat-label">
                    <span class="swatch" style={{ background: seriesColor(index), borderColor: seriesColor(index) }} aria-hidden="true" />
                    {metric}
                    {!planned.has(metric) && <span class="tag">no plan</span>}
                  </span>
                  <span class="stat-value">{formatNumber(totals.get(metric) ?? 0)}</span>
                </button>
              </li>
            ))}
          </ul>
          {activeDays.length === 0 ? (
            <EmptyState title="No usage yet this month">Events sent to POST /ingest show here within seconds of aggregation.</EmptyState>
          ) : (
            <>
              <UsageChart
                days={days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000)}
                series={metrics.map((metric) => ({ metric, values: days.map((day) => (day > today ? null : (daily.get(metric)?.get(day) ?? 0))) }))}
                hidden={hidden}
                label={`Daily usage this month of ${metrics.join(', ')}; the figures are in the table below.`}
              />
              <TableScroll label="Daily usage">
                <table class="table table-compact" data-usage-table>
                  <caption class="visually-hidden">Daily usage this month, UTC days</caption>
                  <thead>
                    <tr>
                      <th scope="col">Day (UTC)</th>
                      {usedMetrics.map((metric) => (
                        <th scope="col" class="numeric" key={metric}>
                          {metric}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {activeDays.map((day) => (
                      <tr key={day}>
                        <th scope="row">{formatWeekday(`${day}T00:00:00Z`)}</th>
                        {usedMetrics.map((metric) => {
                          const total = daily.get(metric)?.get(day);
                          return (
                            <td class="numeric" key={metric} data-metric={metric} data-day={day} data-total={total === undefined ? undefined : String(total)}>
                              {total === undefined ? <span class="muted">—</span> : formatNumber(total)}
                            </td>
                          );
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            </>
          )}
        </>
      )}
      <AddMetricForm added={added} known={metrics} onChange={onAddedChange} />
    </section>
  );
}

/**
 * Follows a metric that no plan or invoice names yet.
 * @param {{ added: string[], known: string[], onChange: (metrics: string[]) => void }} props
 */
function AddMetricForm({ added, known, onChange }) {
  const [name, setName] = useState('');
  const [problem, setProblem] = useState('');
  const id = useId();

  /** @param {SubmitEvent} event */
  const add = (event) => {
    event.preventDefault();
    const metric = name.trim();
    if (!metricPattern.test(metric)) {
      setProblem('A metric is 1–64 characters of a-z 0-9 _ . -, starting with a letter.');
      return;
    }
    setProblem('');
    setName('');
    if (!known.includes(metric)) onChange([...added, metric]);
  };

  return (
    <form class="inline-form" onSubmit={add} noValidate>
      <div class="field">
        <label for={`${id}-metric`}>Follow another metric</label>
        <div class="input-row">
          <input
            id={`${id}-metric`}
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
            placeholder="e.g. storage_gb"
            autocomplete="off"
            spellcheck={false}
            aria-invalid={problem ? 'true' : undefined}
            aria-describedby={problem ? `${id}-problem` : undefined}
          />
          <button class="button" type="submit">
            Add
          </button>
        </div>
        {problem && (
          <p class="field-error" id={`${id}-problem`} role="alert">
            {problem}
          </p>
        )}
      </div>
      {added.length > 0 && (
        <ul class="chips" aria-label="Metrics you added">
          {added.map((metric) => (
            <li key={metric} class="chip">
              {metric}
              <button class="chip-remove" type="button" aria-label={`Stop following ${metric}`} onClick={() => onChange(added.filter((other) => other !== metric))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}

/** @param {{ invoice: Invoice | undefined }} props */
function CurrentInvoiceCard({ invoice }) {
  return (
    <section class="card card-invoice" aria-labelledby="current-invoice" data-current-invoice={invoice?.id}>
      <div class="card-header">
        <h2 id="current-invoice">This month’s invoice</h2>
        {invoice && <StatusBadge status={invoice.status} />}
      </div>
      {!invoice ? (
        <EmptyState title="No invoice yet this month">It appears with the first usage of a metric that has a plan, and follows that usage as it arrives.</EmptyState>
      ) : (
        <>
          <div class="amount-block" aria-live="polite" aria-atomic="true">
            <span class="amount-label">{invoice.status === 'draft' ? 'Amount so far' : 'Amount'}</span>
            <Money amount={invoice.amount} currency={invoice.currency} class="amount-big" />
            <span class="amount-currency">{invoice.currency}</span>
          </div>
          <p class="muted small">
            {formatPeriod(invoice.periodStart, invoice.periodEnd)}
            {invoice.status === 'draft' ? ' · a draft that follows usage as it arrives' : ' · finalized'}
          </p>
          {(invoice.lineItems ?? []).length === 0 ? (
            <EmptyState title="No lines yet">Usage of a metric with a plan makes a line.</EmptyState>
          ) : (
            <ul class="line-items">
              {(invoice.lineItems ?? []).map((item) => (
                <li key={item.metric} class="line-item" data-line-metric={item.metric}>
                  <div class="line-item-head">
                    <span class="line-item-metric">{item.metric}</span>
                    <Money amount={item.amount} currency={invoice.currency} />
                  </div>
                  <dl class="line-item-detail">
                    <div>
                      <dt>Usage</dt>
                      <dd>{formatDecimal(item.quantity)}</dd>
                    </div>
                    <div>
                      <dt>Free</dt>
                      <dd>{formatDecimal(item.freeQuota)}</dd>
                    </div>
                    <div>
                      <dt>Billable</dt>
                      <dd>{formatDecimal(item.billableQuantity)}</dd>
                    </div>
                    <div>
                      <dt>Unit price</dt>
                      <dd>
                        <Money amount={item.unitPrice} currency={invoice.currency} />
                      </dd>
                    </div>
                  </dl>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
