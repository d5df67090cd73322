/**
 * The metrics the viewer follows beyond those of its plans and invoices,
 * kept in this tab's sessionStorage.
 */

/** A metric name as the API takes it. */
export const metricPattern = /^[a-z][a-z0-9_.-]{0,63}$/;
/** Beside the session (api.js), so it goes at sign-out. */
const addedMetricsKey = 'polaris.dashboard.metrics';

/** @returns {string[]} */
export function loadAddedMetrics() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(addedMetricsKey) ?? '[]');
    return Array.isArray(stored) ? stored.filter((metric) => typeof metric === 'string' && metricPattern.test(metric)) : [];
  } catch {
    return [];
  }
}

/** @param {string[]} metrics */
export function saveAddedMetrics(metrics) {
  sessionStorage.setItem(addedMetricsKey, JSON.stringify(metrics));
}
