/** What the organization's view asks for: one request, and the metrics it names. */
import { limitsFields } from '../components.jsx';
import { alertsFields } from './alerts-card.jsx';

/** @typedef {import('../types').Plan} Plan */
/** @typedef {import('../types').Invoice} Invoice */
/** @typedef {import('../types').UsageAggregate} UsageAggregate */
/** @typedef {import('../types').Meter} Meter */
/** @typedef {import('../types').UsageAlert} UsageAlert */
/** @typedef {import('../types').Entitlement} Entitlement */
/** @typedef {import('../types').OrganizationLimits} OrganizationLimits */
/**
 * @typedef {{ me: { id: string, name: string, plans: Plan[], usageAlerts: UsageAlert[], entitlements: Entitlement[], limits: OrganizationLimits }, invoices: Invoice[], meters: Meter[], usage: Map<string, UsageAggregate[]>, month: Map<string, number> }} Dashboard
 *   `usage`: each metric's UTC days this month; `month`: its value for the
 *   whole month, as its meter measures it (a sum, a count, the latest reading…)
 */

/**
 * One request for everything the view shows; `usage` needs a metric, so
 * each metric is asked for under its own aliases: `u` its days, `t` its month.
 * @param {string[]} metrics
 */
export function dashboardQuery(metrics) {
  const parameters = metrics.map((_, index) => `$m${index}: String!`).join(', ');
  const usage = metrics
    .map((_, index) => `u${index}: usage(metric: $m${index}) { metric total periodStart periodEnd }\n    t${index}: usage(metric: $m${index}, windowSize: MONTH, timeZone: "UTC") { total }`)
    .join('\n    ');
  return `query Dashboard${parameters ? `(${parameters})` : ''} {
    me { id name plans { id name metric unitPrice freeQuota } ${alertsFields} ${limitsFields} }
    invoices { id status periodStart periodEnd amount currency number lineItems { kind description metric quantity freeQuota billableQuantity unitPrice amount forPeriodStart forPeriodEnd } }
    meters { metric name aggregation valueProperty groupBy }
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
export function metricsOf(plans, invoices, added) {
  const metrics = new Set(plans.map((plan) => plan.metric));
  // Fees and minimums name no metric.
  for (const invoice of invoices) for (const item of invoice.lineItems ?? []) if (item.metric) metrics.add(item.metric);
  for (const metric of added) metrics.add(metric);
  return [...metrics].sort();
}
