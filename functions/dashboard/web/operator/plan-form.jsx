/** Sets the plan of one metric: its name, unit price and free quota. */
import { Outcome, useChanges } from './organization-section.jsx';

/** @typedef {import('./organization-section.jsx').SectionProps} SectionProps */
/** @typedef {{ name: string, metric: string, unitPrice: string, freeQuota: string }} PlanFields the form's fields, as typed */

/** @type {PlanFields} */
export const emptyPlan = { name: '', metric: '', unitPrice: '', freeQuota: '0' };

/**
 * @param {SectionProps & { id: string, form: PlanFields, onChange: (form: PlanFields) => void }} props
 *   `id` prefixes the fields' ids (`${id}-name` is the first); `form` is held
 *   by the section, which fills it in to edit a plan
 */
export function PlanForm({ id, form, onChange, details, request, reload }) {
  const { run, status, error } = useChanges(reload);

  /** @param {SubmitEvent} event */
  const save = async (event) => {
    event.preventDefault();
    const saved = await run(
      () =>
        request(
          'mutation($o: ID!, $name: String!, $metric: String!, $unitPrice: Decimal!, $freeQuota: Decimal!) { setPlan(organizationId: $o, name: $name, metric: $metric, unitPrice: $unitPrice, freeQuota: $freeQuota) { id } }',
          { o: details.id, name: form.name.trim(), metric: form.metric.trim(), unitPrice: form.unitPrice.trim(), freeQuota: form.freeQuota.trim() },
        ),
      `Plan for ${form.metric.trim()} saved.`,
    );
    if (saved) onChange(emptyPlan);
  };

  /** @param {keyof PlanFields} field @param {string} label @param {string} [hint] @param {object} [attributes] */
  const input = (field, label, hint, attributes = {}) => (
    <div class="field">
      <label for={`${id}-${field}`}>{label}</label>
      <input
        id={`${id}-${field}`}
        value={form[field]}
        onInput={(event) => onChange({ ...form, [field]: event.currentTarget.value })}
        autocomplete="off"
        spellcheck={false}
        aria-describedby={hint ? `${id}-${field}-hint` : undefined}
        {...attributes}
      />
      {hint && (
        <p class="hint" id={`${id}-${field}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );

  return (
    <form class="grid-form" onSubmit={save} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Set a plan</h3>
      <p class="hint grid-form-wide">One plan per metric: setting a metric’s plan again replaces it.</p>
      {input('name', 'Plan name', undefined, { placeholder: 'API calls' })}
      {input('metric', 'Metric', undefined, { placeholder: 'api_calls' })}
      {input('unitPrice', 'Unit price', 'Exact decimal, e.g. 0.002', { inputMode: 'decimal', placeholder: '0.002' })}
      {input('freeQuota', 'Free quota', 'Units free each month', { inputMode: 'decimal' })}
      <div class="grid-form-wide">
        <Outcome status={status} error={error} />
        <button class="button button-primary" type="submit">
          Save plan
        </button>
      </div>
    </form>
  );
}
