/**
 * An organization's usage alerts (budgets, the percentages to warn at, the
 * thresholds reached) and its entitlements (features on or off, metered
 * limits per billing period, with this period's usage); the forms that make
 * an alert and set an entitlement, and deleting either after a confirmation.
 */
import { useId, useState } from 'preact/hooks';
import { EmptyState, TableScroll } from '../components.jsx';
import { formatDay, formatDecimal, formatPeriod } from '../format.js';
import { Outcome, useChanges } from './organization-section.jsx';

/** @typedef {import('./organization-section.jsx').SectionProps} SectionProps */
/** @typedef {import('../types').UsageAlert} UsageAlert */
/** @typedef {import('../types').Entitlement} Entitlement */

/** What this section reads of the organization. */
export const alertsEntitlementsFields =
  'usageAlerts { id metric budget percentages createdAt crossings { percent threshold value periodStart periodEnd crossedAt } } entitlements { id feature type enabled metric limit soft access { hasAccess usage limit overLimit resetsAt } }';

/** @param {SectionProps} props */
export function AlertsEntitlementsSection({ details, request, reload }) {
  const { run, status, error } = useChanges(reload);
  const [confirming, setConfirming] = useState(/** @type {string | null} */ (null));

  /** @param {UsageAlert} alert */
  const deleteAlert = (alert) =>
    run(async () => {
      await request('mutation($id: ID!) { deleteUsageAlert(id: $id) }', { id: alert.id });
      setConfirming(null);
    }, `Alert on ${alert.metric ?? 'the invoice amount'} deleted.`);

  /** @param {Entitlement} entitlement */
  const deleteEntitlement = (entitlement) =>
    run(async () => {
      await request('mutation($o: ID!, $f: String!) { deleteEntitlement(organizationId: $o, feature: $f) }', { o: details.id, f: entitlement.feature });
      setConfirming(null);
    }, `Entitlement to ${entitlement.feature} deleted.`);

  /**
   * @param {string} key what is being confirmed
   * @param {string} question
   * @param {string} label the button's accessible name
   * @param {() => void} confirm
   */
  const deleteButton = (key, question, label, confirm) =>
    confirming === key ? (
      <span class="confirm">
        <span>{question}</span>
        <button class="button button-danger" type="button" onClick={confirm}>
          Delete
        </button>
        <button class="button button-quiet" type="button" onClick={() => setConfirming(null)}>
          Cancel
        </button>
      </span>
    ) : (
      <button class="button button-quiet" type="button" aria-label={label} onClick={() => setConfirming(key)}>
        Delete
      </button>
    );

  return (
    <section class="card" aria-labelledby="alerts-entitlements">
      <div class="card-header">
        <h2 id="alerts-entitlements">Alerts and entitlements</h2>
      </div>
      <Outcome status={status} error={error} />

      <h3 class="subheading">Usage alerts</h3>
      {details.usageAlerts.length === 0 ? (
        <EmptyState title="No usage alerts">An alert warns (a webhook event) when a metric, or the invoice amount, reaches a share of a budget in a billing period.</EmptyState>
      ) : (
        <TableScroll label="Usage alerts">
          <table class="table table-stack" data-usage-alerts>
            <thead>
              <tr>
                <th scope="col">Watches</th>
                <th scope="col" class="numeric">
                  Budget
                </th>
                <th scope="col">Warns at</th>
                <th scope="col">Reached</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {details.usageAlerts.map((alert) => (
                <tr key={alert.id} data-alert-id={alert.id}>
                  <th scope="row">{alert.metric ?? 'Invoice amount'}</th>
                  <td data-label="Budget" class="numeric">
                    {formatDecimal(alert.budget)}
                  </td>
                  <td data-label="Warns at">{alert.percentages.map((percent) => `${formatDecimal(percent)}%`).join(', ')}</td>
                  <td data-label="Reached">
                    {alert.crossings.length === 0
                      ? 'not yet'
                      : alert.crossings
                          .slice(0, 6)
                          .map((c) => `${formatDecimal(c.percent)}% in ${formatPeriod(c.periodStart, c.periodEnd)} (${formatDecimal(c.value)}, ${formatDay(c.crossedAt)})`)
                          .join('; ')}
                  </td>
                  <td class="actions">
                    {deleteButton(`alert ${alert.id}`, 'Delete this alert?', `Delete the alert on ${alert.metric ?? 'the invoice amount'}`, () => deleteAlert(alert))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <AlertForm organizationId={details.id} request={request} run={run} />

      <h3 class="subheading">Entitlements</h3>
      {details.entitlements.length === 0 ? (
        <EmptyState title="No entitlements">What the organization may use: a feature on or off, or a metric limited per billing period.</EmptyState>
      ) : (
        <TableScroll label="Entitlements">
          <table class="table table-stack" data-entitlements>
            <thead>
              <tr>
                <th scope="col">Feature</th>
                <th scope="col">Kind</th>
                <th scope="col">This period</th>
                <th scope="col">Access</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {details.entitlements.map((entitlement) => (
                <tr key={entitlement.id} data-feature={entitlement.feature} data-has-access={String(entitlement.access.hasAccess)}>
                  <th scope="row">{entitlement.feature}</th>
                  <td data-label="Kind">
                    {entitlement.type === 'BOOLEAN'
                      ? entitlement.enabled
                        ? 'on'
                        : 'off'
                      : `${entitlement.soft ? 'soft' : 'hard'} limit of ${formatDecimal(entitlement.limit ?? '0')} ${entitlement.metric}`}
                  </td>
                  <td data-label="This period">
                    {entitlement.type === 'METERED' && entitlement.access.usage !== null
                      ? `${formatDecimal(entitlement.access.usage)} used${entitlement.access.resetsAt ? `, resets ${formatDay(entitlement.access.resetsAt)}` : ''}`
                      : '—'}
                  </td>
                  <td data-label="Access">
                    <span class={`badge ${entitlement.access.hasAccess ? (entitlement.access.overLimit ? 'badge-draft' : 'badge-ok') : 'badge-muted'}`}>
                      {entitlement.access.hasAccess ? (entitlement.access.overLimit ? 'over soft limit' : 'yes') : 'no'}
                    </span>
                  </td>
                  <td class="actions">
                    {deleteButton(`entitlement ${entitlement.id}`, `Delete ${entitlement.feature}?`, `Delete the entitlement to ${entitlement.feature}`, () => deleteEntitlement(entitlement))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <EntitlementForm organizationId={details.id} request={request} run={run} />
    </section>
  );
}

/**
 * @typedef {{ organizationId: string, request: import('../types').Request, run: ReturnType<typeof useChanges>['run'] }} FormProps
 */

/** @param {FormProps} props */
function AlertForm({ organizationId, request, run }) {
  const id = useId();
  const [form, setForm] = useState({ metric: '', budget: '', percentages: '80, 100' });

  /** @param {SubmitEvent} event */
  const save = (event) => {
    event.preventDefault();
    const percentages = form.percentages
      .split(',')
      .map((text) => text.trim())
      .filter(Boolean);
    void run(
      () =>
        request('mutation($o: ID!, $metric: String, $budget: Decimal!, $percentages: [Decimal!]) { createUsageAlert(organizationId: $o, metric: $metric, budget: $budget, percentages: $percentages) { id } }', {
          o: organizationId,
          metric: form.metric.trim() || null,
          budget: form.budget.trim(),
          percentages: percentages.length > 0 ? percentages : null,
        }),
      'Usage alert created.',
    ).then((made) => made && setForm({ ...form, metric: '', budget: '' }));
  };

  return (
    <form class="grid-form" onSubmit={save} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Create a usage alert</h3>
      <div class="field">
        <label for={`${id}-metric`}>Metric watched</label>
        <input id={`${id}-metric`} value={form.metric} onInput={(e) => setForm({ ...form, metric: e.currentTarget.value })} placeholder="api_calls" autocomplete="off" spellcheck={false} aria-describedby={`${id}-metric-hint`} />
        <p class="hint" id={`${id}-metric-hint`}>
          Empty: the draft invoice’s amount
        </p>
      </div>
      <div class="field">
        <label for={`${id}-budget`}>Budget</label>
        <input id={`${id}-budget`} value={form.budget} onInput={(e) => setForm({ ...form, budget: e.currentTarget.value })} inputMode="decimal" autocomplete="off" aria-describedby={`${id}-budget-hint`} />
        <p class="hint" id={`${id}-budget-hint`}>
          In the metric’s units, or money in the invoice’s currency
        </p>
      </div>
      <div class="field">
        <label for={`${id}-percentages`}>Warn at (% of the budget)</label>
        <input id={`${id}-percentages`} value={form.percentages} onInput={(e) => setForm({ ...form, percentages: e.currentTarget.value })} autocomplete="off" aria-describedby={`${id}-percentages-hint`} />
        <p class="hint" id={`${id}-percentages-hint`}>
          Separated by commas; each reached once per billing period
        </p>
      </div>
      <div class="grid-form-wide">
        <button class="button button-primary" type="submit">
          Create alert
        </button>
      </div>
    </form>
  );
}

/** @param {FormProps} props */
function EntitlementForm({ organizationId, request, run }) {
  const id = useId();
  const [form, setForm] = useState({ feature: '', kind: 'BOOLEAN', metric: '', limit: '', soft: false, enabled: true });
  const metered = form.kind === 'METERED';

  /** @param {SubmitEvent} event */
  const save = (event) => {
    event.preventDefault();
    void run(
      () =>
        request(
          'mutation($o: ID!, $feature: String!, $metric: String, $limit: Decimal, $soft: Boolean, $enabled: Boolean) { setEntitlement(organizationId: $o, feature: $feature, metric: $metric, limit: $limit, soft: $soft, enabled: $enabled) { id } }',
          metered
            ? { o: organizationId, feature: form.feature.trim(), metric: form.metric.trim() || null, limit: form.limit.trim(), soft: form.soft }
            : { o: organizationId, feature: form.feature.trim(), enabled: form.enabled },
        ),
      `Entitlement to ${form.feature.trim()} set.`,
    );
  };

  return (
    <form class="grid-form" onSubmit={save} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Set an entitlement</h3>
      <div class="field">
        <label for={`${id}-feature`}>Feature</label>
        <input id={`${id}-feature`} value={form.feature} onInput={(e) => setForm({ ...form, feature: e.currentTarget.value })} placeholder="sso" autocomplete="off" spellcheck={false} />
      </div>
      <div class="field">
        <label for={`${id}-kind`}>Kind of entitlement</label>
        <select id={`${id}-kind`} value={form.kind} onChange={(e) => setForm({ ...form, kind: e.currentTarget.value })}>
          <option value="BOOLEAN">BOOLEAN · on or off</option>
          <option value="METERED">METERED · a limit per billing period</option>
        </select>
      </div>
      {metered ? (
        <>
          <div class="field">
            <label for={`${id}-metric`}>Limited metric</label>
            <input id={`${id}-metric`} value={form.metric} onInput={(e) => setForm({ ...form, metric: e.currentTarget.value })} placeholder="the feature’s name" autocomplete="off" spellcheck={false} />
          </div>
          <div class="field">
            <label for={`${id}-limit`}>Limit per period</label>
            <input id={`${id}-limit`} value={form.limit} onInput={(e) => setForm({ ...form, limit: e.currentTarget.value })} inputMode="decimal" autocomplete="off" />
          </div>
          <label class="field field-check">
            <input type="checkbox" checked={form.soft} onChange={(e) => setForm({ ...form, soft: e.currentTarget.checked })} /> Soft: report going over, never refuse
          </label>
        </>
      ) : (
        <label class="field field-check">
          <input type="checkbox" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.currentTarget.checked })} /> On
        </label>
      )}
      <div class="grid-form-wide">
        <button class="button button-primary" type="submit">
          Set entitlement
        </button>
      </div>
    </form>
  );
}
