/** An organization's plans, one per metric: the table, and the form that sets one (plan-form.jsx). */
import { useId, useState } from 'preact/hooks';
import { EmptyState, TableScroll } from '../components.jsx';
import { formatDecimal } from '../format.js';
import { PlanForm, emptyPlan } from './plan-form.jsx';

/** @typedef {import('./organization-section.jsx').SectionProps} SectionProps */

/** What this section reads of the organization. */
export const plansFields = 'plans { id name metric unitPrice freeQuota }';

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
                <th scope="col" class="numeric">
                  Unit price
                </th>
                <th scope="col" class="numeric">
                  Free quota
                </th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {details.plans.map((plan) => (
                <tr key={plan.id} data-plan-metric={plan.metric}>
                  <th scope="row">
                    <code>{plan.metric}</code>
                  </th>
                  <td data-label="Name">{plan.name}</td>
                  <td class="numeric" data-label="Unit price" data-unit-price={plan.unitPrice}>
                    {formatDecimal(plan.unitPrice)}
                  </td>
                  <td class="numeric" data-label="Free quota" data-free-quota={plan.freeQuota}>
                    {formatDecimal(plan.freeQuota)}
                  </td>
                  <td class="actions">
                    <button
                      class="button button-quiet"
                      type="button"
                      aria-label={`Edit the plan for ${plan.metric}`}
                      onClick={() => {
                        setForm({ name: plan.name, metric: plan.metric, unitPrice: plan.unitPrice, freeQuota: plan.freeQuota });
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
      <PlanForm id={id} form={form} onChange={setForm} details={details} request={request} reload={reload} />
    </section>
  );
}
