/**
 * A metric's windows as its meter measures them, one series per group: bars
 * for what adds up (SUM, COUNT, UNIQUE_COUNT), a stepped line of readings for
 * a gauge (LATEST, MAX), whose windows do not add up.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { seriesColor } from './usage-chart.jsx';

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const axisFont = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif';
const axis = { stroke: '#5b6478', font: axisFont, grid: { stroke: '#eceef4', width: 1 }, ticks: { stroke: '#dfe3ec', width: 1, size: 4 } };

/** @typedef {{ label: string, values: (number | null)[] }} MeterSeries */

/**
 * @param {{ starts: number[], end: number, series: MeterSeries[], gauge: boolean, timeZone: string, label: string }} props
 *   `starts`: the windows' starts in Unix seconds, `end` the last one's end; each series has a value per window, null where its group had no events
 */
export function MeterChart({ starts, end, series, gauge, timeZone, label }) {
  const container = useRef(/** @type {HTMLDivElement | null} */ (null));
  // The last window's end closes the axis, so its bar (drawn from its start) shows whole.
  /** @type {uPlot.AlignedData} */
  const data = [[...starts, end], ...series.map((one) => [...one.values, null])];

  useEffect(() => {
    const element = container.current;
    if (!element) return undefined;
    const plot = new uPlot(chartOptions(element.clientWidth, series, gauge, timeZone), data, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: element.clientWidth < 480 ? 200 : 240 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [JSON.stringify(data), series.map((one) => one.label).join('\n'), gauge, timeZone]);

  return <div class="chart" ref={container} role="img" aria-label={label} data-meter-chart={gauge ? 'gauge' : 'bars'} />;
}

/**
 * @param {number} width
 * @param {MeterSeries[]} series
 * @param {boolean} gauge
 * @param {string} timeZone
 * @returns {uPlot.Options}
 */
function chartOptions(width, series, gauge, timeZone) {
  // Bars of several groups share a window: each is drawn over the one before, narrower, so every group shows.
  const barWidth = (/** @type {number} */ index) => 0.9 * (1 - index / (series.length + 1));
  return {
    width,
    height: width < 480 ? 200 : 240,
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), timeZone === 'UTC' ? 'Etc/UTC' : timeZone),
    scales: { x: { time: true }, y: { range: (_plot, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    cursor: { drag: { x: false, y: false } },
    legend: { show: false },
    series: [
      {},
      ...series.map((one, index) =>
        gauge
          ? { label: one.label, stroke: seriesColor(index), width: 2, paths: uPlot.paths.stepped?.({ align: 1 }), spanGaps: true, points: { show: true, size: 6, fill: '#ffffff' } }
          : { label: one.label, stroke: seriesColor(index), fill: `${seriesColor(index)}cc`, width: 0, paths: uPlot.paths.bars?.({ size: [barWidth(index), 80], align: 1 }), points: { show: false } },
      ),
    ],
    axes: [{ ...axis, space: 60 }, { ...axis, size: 56, values: (_plot, splits) => splits.map((split) => compact.format(split)) }],
  };
}
