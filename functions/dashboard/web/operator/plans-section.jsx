/**
 * An organization's prices: those in effect now (one per metric and
 * property values), every version ever set, and the form that sets one
 * (plan-form.jsx).
 */
import { useId, useState } from 'preact/hooks';
import { EmptyState, TableScroll } from '../components.jsx';
import { formatDay } from '../format.js';
import { PlanForm, emptyPlan, planFields } from './plan-form.jsx';
import { modelNames, priceSummary, whereSummary } from './price-summary.js';

/** @typedef {import('./organization-section.jsx').SectionProps} SectionProps */
/** @typedef {import('../types').Plan} Plan */

const planSelection = 'id name metric model unitPrice freeQuota tiers { upTo unitPrice flatPrice } packageSize packagePrice where { key value } effectiveFrom';

/** What this section reads of the organization. */
export const plansFields = `plans { ${planSelection} } planHistory { ${planSelection} }`;

/** @param {SectionProps} props */
export function PlansSection({ details, request, reload }) {
  // Here rather than in the form: Edit fills the form in and moves to its first field.
  const [form, setForm] = useState(emptyPlan);
  const id = useId();

  return (
    <section class="card" aria-labelledby="plans">
      <div class="card-header">
        <h2 id="plans">Plans</h2>
      </div>
      {details.plans.length === 0 ? (
        <EmptyState title="No plans">Usage is priced only for metrics with a plan. Set one below.</EmptyState>
      ) : (
        <TableScroll label="Plans">
          <table class="table table-stack" data-plans>
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col">Name</th>
                <th scope="col">Model</th>
                <th scope="col">Price</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {details.plans.map((plan) => (
                <tr key={plan.id} data-plan-id={plan.id} data-plan-metric={plan.metric} data-model={plan.model}>
                  <th scope="row">
                    <code>{plan.metric}</code>
                    {plan.where.length > 0 && <span class="muted small plan-where"> where {whereSummary(plan.where)}</span>}
                  </th>
                  <td data-label="Name">{plan.name}</td>
                  <td data-label="Model">{modelNames[plan.model]}</td>
                  <td data-label="Price" data-price data-unit-price={plan.unitPrice} data-free-quota={plan.freeQuota}>
                    {priceSummary(plan)}
                  </td>
                  <td data-label="Since">{formatDay(plan.effectiveFrom)}</td>
                  <td class="actions">
                    <button
                      class="button button-quiet"
                      type="button"
                      aria-label={`Edit the plan for ${plan.metric}${plan.where.length > 0 ? ` where ${whereSummary(plan.where)}` : ''}`}
                      onClick={() => {
                        setForm(planFields(plan));
                        document.getElementById(`${id}-name`)?.focus();
                      }}
                    >
                      Edit
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <PlanHistory plans={details.planHistory} current={details.plans} />
      <PlanForm id={id} form={form} onChange={setForm} details={details} request={request} reload={reload} />
    </section>
  );
}

/**
 * Every price version, newest first, those to come and those replaced marked.
 * @param {{ plans: Plan[], current: Plan[] }} props
 */
function PlanHistory({ plans, current }) {
  if (plans.length === 0) return null;
  const now = Date.now();
  const inEffect = new Set(current.map((plan) => plan.id));
  /** @param {Plan} plan */
  const state = (plan) => (inEffect.has(plan.id) ? 'in effect' : Date.parse(plan.effectiveFrom) > now ? 'upcoming' : 'replaced');
  return (
    <details class="plan-history" data-plan-history>
      <summary>History ({plans.length})</summary>
      <ol class="history-list">
        {plans.map((plan) => (
          <li key={plan.id} data-plan-version={plan.id} data-state={state(plan)}>
            <span class="history-when">{formatDay(plan.effectiveFrom)}</span> <code>{plan.metric}</code>
            {plan.where.length > 0 && <span class="muted"> where {whereSummary(plan.where)}</span>} · {plan.name} · {modelNames[plan.model]}: {priceSummary(plan)}{' '}
            <span class={`badge ${state(plan) === 'replaced' ? 'badge-muted' : state(plan) === 'upcoming' ? 'badge-draft' : 'badge-final'}`}>{state(plan)}</span>
          </li>
        ))}
      </ol>
    </details>
  );
}
