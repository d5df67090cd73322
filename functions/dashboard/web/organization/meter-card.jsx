/**
 * One metric as its meter measures it: by window (hours, days or months of a
 * time zone) and, when the meter has group-by keys, one series per group of
 * the key chosen. A gauge (LATEST, MAX) shows its current reading per group.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { EmptyState, ErrorMessage, TableScroll } from '../components.jsx';
import { formatDecimal } from '../format.js';
import { MeterChart } from '../meter-chart.jsx';
import { seriesColor } from '../usage-chart.jsx';

/** @typedef {import('../types').Request} Request */
/** @typedef {import('../types').Meter} Meter */
/** @typedef {import('../types').UsageAggregate} UsageAggregate */
/** @typedef {import('../types').WindowSize} WindowSize */

/** How far back each window size looks, in hours: two days of hours, a month of days, a year of months. */
const spans = { HOUR: 48, DAY: 31 * 24, MONTH: 366 * 24 };
const windowLabels = { HOUR: 'Hours (last 48)', DAY: 'Days (last 31)', MONTH: 'Months (last 12)' };
const hour = 3_600_000;
const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
/**
 * UTC and the viewer's zone first, then every zone the browser knows. A few
 * are added by their current names, which some browsers list by older ones
 * (Asia/Katmandu, Asia/Calcutta).
 */
const zones = [
  ...new Set([
    'UTC',
    ...(viewerZone ? [viewerZone] : []),
    ...[...Intl.supportedValuesOf('timeZone'), 'Asia/Kathmandu', 'Asia/Kolkata', 'Europe/Kyiv', 'America/Nuuk'].sort(),
  ]),
];
const noGroup = '(none)';

/** A window's start, as people of the zone read it. */
function windowName(/** @type {string} */ start, /** @type {WindowSize} */ size, /** @type {string} */ timeZone) {
  /** @type {Intl.DateTimeFormatOptions} */
  const options = size === 'MONTH' ? { month: 'long', year: 'numeric' } : size === 'DAY' ? { weekday: 'short', day: 'numeric', month: 'short' } : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(undefined, { ...options, timeZone }).format(new Date(start));
}

/**
 * @param {{ request: Request, metrics: string[], meters: Meter[], refreshedAt: Date | null }} props
 *   `refreshedAt`: the view's last refresh, which reads this metric again
 */
export function MeterCard({ request, metrics, meters, refreshedAt }) {
  const id = useId();
  const [metric, setMetric] = useState(metrics[0] ?? '');
  const [windowSize, setWindowSize] = useState(/** @type {WindowSize} */ ('DAY'));
  const [timeZone, setTimeZone] = useState('UTC');
  const [groupKey, setGroupKey] = useState(noGroup);
  const [aggregates, setAggregates] = useState(/** @type {UsageAggregate[] | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const chosen = metrics.includes(metric) ? metric : (metrics[0] ?? '');
  const meter = meters.find((one) => one.metric === chosen);
  const aggregation = meter?.aggregation ?? 'SUM';
  const gauge = aggregation === 'LATEST' || aggregation === 'MAX';
  const groupBy = meter?.groupBy.includes(groupKey) ? [groupKey] : [];

  useEffect(() => {
    if (!chosen) return;
    let current = true;
    // Hour-aligned, as the API cuts ranges; the window now in progress starts before `to`.
    const to = Math.ceil((Date.now() + 1) / hour) * hour;
    const from = to - spans[windowSize] * hour;
    request(
      'query($metric: String!, $from: String, $to: String, $windowSize: WindowSize, $timeZone: String, $groupBy: [String!]) { usage(metric: $metric, from: $from, to: $to, windowSize: $windowSize, timeZone: $timeZone, groupBy: $groupBy) { periodStart periodEnd value total groups { key value } } }',
      { metric: chosen, from: new Date(from).toISOString(), to: new Date(to).toISOString(), windowSize, timeZone, groupBy },
    ).then(
      (/** @type {any} */ answer) => {
        if (!current) return;
        setAggregates(answer.usage);
        setError(null);
      },
      (err) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [request, chosen, windowSize, timeZone, groupBy.join(), refreshedAt]);

  const groupOf = (/** @type {UsageAggregate} */ aggregate) => (groupBy.length === 0 ? chosen : (aggregate.groups?.[0]?.value ?? `no ${groupBy[0]}`));
  const rows = aggregates ?? [];
  const starts = [...new Set(rows.map((row) => row.periodStart))].sort((a, b) => Date.parse(a) - Date.parse(b));
  const groups = [...new Set(rows.map(groupOf))].sort();
  /** @type {Map<string, UsageAggregate>} `${group}\n${periodStart}` → its window */
  const cells = new Map(rows.map((row) => [`${groupOf(row)}\n${row.periodStart}`, row]));
  // A gauge's reading now: its latest window's value.
  const readings = groups.map((group) => ({ group, row: [...starts].reverse().map((start) => cells.get(`${group}\n${start}`)).find(Boolean) }));

  /** @param {string} field @param {string} label @param {string} value @param {(value: string) => void} onChange @param {{ value: string, label: string }[]} options */
  const select = (field, label, value, onChange, options) => (
    <div class="field">
      <label for={`${id}-${field}`}>{label}</label>
      <select id={`${id}-${field}`} value={value} onChange={(event) => onChange(event.currentTarget.value)}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <section class="card" aria-labelledby={`${id}-title`} data-meter-card data-aggregation={aggregation}>
      <div class="card-header">
        <h2 id={`${id}-title`}>Usage by meter</h2>
        {chosen && <span class="badge badge-muted">{meter ? `${meter.name} · ${aggregation}` : 'SUM · no meter'}</span>}
      </div>
      {metrics.length === 0 ? (
        <EmptyState title="No metrics yet">Once a metric has usage or a plan, its meter’s windows and groups show here.</EmptyState>
      ) : (
        <>
          <div class="grid-form meter-controls">
            {select('metric', 'Metric', chosen, setMetric, metrics.map((one) => ({ value: one, label: one })))}
            {select('window', 'Window', windowSize, (value) => setWindowSize(/** @type {WindowSize} */ (value)), (/** @type {WindowSize[]} */ (['HOUR', 'DAY', 'MONTH'])).map((size) => ({ value: size, label: windowLabels[size] })))}
            {select('zone', 'Time zone', timeZone, setTimeZone, zones.map((zone) => ({ value: zone, label: zone })))}
            {select('group', 'Group by', groupBy[0] ?? noGroup, setGroupKey, [noGroup, ...(meter?.groupBy ?? [])].map((key) => ({ value: key, label: key })))}
          </div>
          <ErrorMessage error={error} title="Could not load this metric:" />
          {rows.length === 0 ? (
            <EmptyState title="No usage in these windows">Windows without events are left out.</EmptyState>
          ) : (
            <>
              {gauge && (
                <ul class="stats" aria-label={`Current ${aggregation === 'MAX' ? 'peak' : 'reading'} per group`}>
                  {readings.map(({ group, row }, index) => (
                    <li key={group} class="gauge" data-gauge-group={group} data-value={row?.value}>
                      <span class="stat-label">{group}</span>
                      <span class="stat-value">{row?.value === undefined ? '—' : formatDecimal(row.value)}</span>
                      <span class="gauge-bar" aria-hidden="true">
                        <span style={{ width: `${gaugeShare(row, readings)}%`, background: seriesColor(index) }} />
                      </span>
                    </li>
                  ))}
                </ul>
              )}
              <MeterChart
                starts={starts.map((start) => Date.parse(start) / 1000)}
                end={Math.max(...rows.map((row) => Date.parse(row.periodEnd))) / 1000}
                series={groups.map((group) => ({ label: group, values: starts.map((start) => cells.get(`${group}\n${start}`)?.total ?? null) }))}
                gauge={gauge}
                timeZone={timeZone}
                label={`${chosen} by ${windowSize.toLowerCase()} in ${timeZone}${groupBy.length ? `, one series per ${groupBy[0]}` : ''}; the figures are in the table below.`}
              />
              <TableScroll label={`${chosen} by window`}>
                <table class="table table-compact" data-meter-table>
                  <thead>
                    <tr>
                      <th scope="col">Window ({timeZone})</th>
                      {groups.map((group) => (
                        <th scope="col" class="numeric" key={group}>
                          {group}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {starts.map((start) => (
                      <tr key={start}>
                        <th scope="row">{windowName(start, windowSize, timeZone)}</th>
                        {groups.map((group) => {
                          const cell = cells.get(`${group}\n${start}`);
                          return (
                            <td class="numeric" key={group} data-group={group} data-window={start} data-value={cell?.value}>
                              {cell?.value === undefined ? <span class="muted">—</span> : formatDecimal(cell.value)}
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
    </section>
  );
}

/** A reading's share of the greatest current reading, for the gauge's bar. */
function gaugeShare(/** @type {UsageAggregate | undefined} */ row, /** @type {{ row: UsageAggregate | undefined }[]} */ readings) {
  const greatest = Math.max(...readings.map((one) => one.row?.total ?? 0));
  return greatest > 0 && row ? Math.round((row.total / greatest) * 100) : 0;
}
