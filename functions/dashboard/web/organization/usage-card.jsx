/**
 * This month's usage per metric: a figure each (pressed, it shows or hides
 * the metric in the chart), the daily chart, a table of the days with usage,
 * and the form to follow another metric.
 */
import { useState } from 'preact/hooks';
import { EmptyState, TableScroll } from '../components.jsx';
import { formatNumber, formatWeekday, isoDay } from '../format.js';
import { UsageChart, seriesColor } from '../usage-chart.jsx';
import { AddMetricForm } from './add-metric-form.jsx';

/** @typedef {import('../types').Plan} Plan */
/** @typedef {import('../types').UsageAggregate} UsageAggregate */
/** @typedef {import('../types').Meter} Meter */

/** What a metric's figure is, when it is not a sum. */
const aggregationTags = { SUM: 'sum', COUNT: 'events', MAX: 'peak', LATEST: 'latest', UNIQUE_COUNT: 'distinct' };

/**
 * @param {{ usage: Map<string, UsageAggregate[]>, totals: Map<string, number>, meters: Meter[], metrics: string[], month: { start: Date, end: Date }, plans: Plan[], added: string[], onAddedChange: (metrics: string[]) => void }} props
 *   `totals`: each metric's value for the month as its meter measures it (not always a sum of its days)
 */
export function UsageCard({ usage, totals, meters, metrics, month, plans, added, onAddedChange }) {
  const [hidden, setHidden] = useState(/** @type {Set<string>} */ (new Set()));
  const today = isoDay(new Date());
  /** @type {string[]} UTC days of the month, `YYYY-MM-DD` */
  const days = [];
  for (let day = month.start.getTime(); day < month.end.getTime(); day += 86_400_000) days.push(isoDay(new Date(day)));
  /** @type {Map<string, Map<string, number>>} metric → day → total */
  const daily = new Map(metrics.map((metric) => [metric, new Map((usage.get(metric) ?? []).map((aggregate) => [aggregate.periodStart.slice(0, 10), aggregate.total]))]));
  const aggregations = new Map(meters.map((meter) => [meter.metric, meter.aggregation]));
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
                    {(aggregations.get(metric) ?? 'SUM') !== 'SUM' && <span class="tag">{aggregationTags[aggregations.get(metric) ?? 'SUM']}</span>}
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
