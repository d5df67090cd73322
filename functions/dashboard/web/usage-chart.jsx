/** Daily usage of the month as a uPlot chart, one line per metric. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One colour per metric, in the order the metrics are listed. */
export const seriesColors = ['#4263eb', '#0ca678', '#f08c00', '#d6336c', '#7048e8', '#1098ad', '#74b816', '#e8590c'];
export const seriesColor = (/** @type {number} */ index) => seriesColors[index % seriesColors.length] ?? '#4263eb';

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const shortDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
const axisFont = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif';
const axis = { stroke: '#5b6478', font: axisFont, grid: { stroke: '#eceef4', width: 1 }, ticks: { stroke: '#dfe3ec', width: 1, size: 4 } };

/** @typedef {{ metric: string, values: (number | null)[] }} Series */

/**
 * @param {{ days: number[], series: Series[], hidden: Set<string>, label: string }} props
 *   `days` in Unix seconds (UTC midnights); each series has a value per day,
 *   null for days to come; `hidden` metrics are left out and the scale fits the rest
 */
export function UsageChart({ days, series, hidden, label }) {
  const container = useRef(/** @type {HTMLDivElement | null} */ (null));
  const chart = useRef(/** @type {uPlot | null} */ (null));
  /** @type {uPlot.AlignedData} */
  const data = [days, ...series.map((one) => one.values)];
  // A new chart only when the metrics change; new figures go through setData.
  const metrics = series.map((one) => one.metric).join('\n');

  useEffect(() => {
    const element = container.current;
    if (!element) return undefined;
    const plot = new uPlot(chartOptions(element.clientWidth, series), data, element);
    chart.current = plot;
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: chartHeight(element.clientWidth) }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [metrics]);

  useEffect(() => {
    const plot = chart.current;
    if (!plot) return;
    plot.batch(() => {
      plot.setData(data);
      series.forEach((one, index) => {
        const show = !hidden.has(one.metric);
        if (plot.series[index + 1]?.show !== show) plot.setSeries(index + 1, { show });
      });
    });
  });

  return <div class="chart" ref={container} role="img" aria-label={label} />;
}

/** @param {number} width */
const chartHeight = (width) => (width < 480 ? 200 : 260);

/**
 * @param {number} width
 * @param {Series[]} series
 * @returns {uPlot.Options}
 */
function chartOptions(width, series) {
  return {
    width,
    height: chartHeight(width),
    // Days are UTC days, whatever the viewer's time zone.
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    scales: {
      x: { time: true },
      y: { range: (_plot, _min, max) => [0, max > 0 ? niceCeiling(max * 1.1) : 1] },
    },
    cursor: { drag: { x: false, y: false } },
    // The figures beside the chart name each metric in its colour and give every value.
    legend: { show: false },
    series: [
      {},
      ...series.map((one, index) => ({
        label: one.metric,
        stroke: seriesColor(index),
        width: 2,
        fill: `${seriesColor(index)}14`,
        // A dot on each day with usage, none on the empty ones.
        points: { show: true, size: 7, width: 2, fill: '#ffffff', filter: daysWithUsage },
      })),
    ],
    axes: [
      { ...axis, space: 56, values: (_plot, splits) => splits.map((seconds) => shortDay.format(new Date(seconds * 1000))) },
      { ...axis, size: 56, values: (_plot, splits) => splits.map((split) => compact.format(split)) },
    ],
  };
}

/**
 * @param {uPlot} plot
 * @param {number} seriesIndex
 * @returns {number[]} indexes of the days with usage
 */
function daysWithUsage(plot, seriesIndex) {
  const values = plot.data[seriesIndex] ?? [];
  const days = [];
  for (let index = 0; index < values.length; index++) if ((values[index] ?? 0) > 0) days.push(index);
  return days;
}

/** 1, 2, 5 × 10ⁿ at or above `value`, so the axis ends on a round figure. */
function niceCeiling(/** @type {number} */ value) {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((factor) => factor * magnitude >= value) ?? 10;
  return step * magnitude;
}
