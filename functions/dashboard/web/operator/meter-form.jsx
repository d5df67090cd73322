/**
 * Defines a meter: its metric, name, aggregation, the property UNIQUE_COUNT
 * counts, and the keys usage may be grouped by. Defining it again renames it
 * or changes its keys; its aggregation stays.
 */
import { useId, useState } from 'preact/hooks';
import { Outcome, useChanges } from './organization-section.jsx';

/** @typedef {import('../types').Request} Request */
/** @typedef {import('../types').MeterAggregation} MeterAggregation */
/** @typedef {{ metric: string, name: string, aggregation: MeterAggregation, valueProperty: string, groupBy: string }} MeterFields the form's fields, as typed */

/** @type {{ value: MeterAggregation, label: string }[]} */
const aggregations = [
  { value: 'SUM', label: 'Sum of quantities' },
  { value: 'COUNT', label: 'Count of events' },
  { value: 'MAX', label: 'Greatest quantity' },
  { value: 'LATEST', label: 'Latest reading (a gauge)' },
  { value: 'UNIQUE_COUNT', label: 'Distinct values of a property' },
];

/** @type {MeterFields} */
const emptyMeter = { metric: '', name: '', aggregation: 'SUM', valueProperty: '', groupBy: '' };

/** @param {{ request: Request, reload: () => Promise<void> }} props */
export function MeterForm({ request, reload }) {
  const [form, setForm] = useState(emptyMeter);
  const { run, status, error } = useChanges(reload);
  const id = useId();

  /** @param {SubmitEvent} event */
  const save = async (event) => {
    event.preventDefault();
    const groupBy = form.groupBy
      .split(',')
      .map((key) => key.trim())
      .filter(Boolean);
    const saved = await run(
      () =>
        request(
          'mutation($metric: String!, $name: String!, $aggregation: MeterAggregation!, $valueProperty: String, $groupBy: [String!]) { createMeter(metric: $metric, name: $name, aggregation: $aggregation, valueProperty: $valueProperty, groupBy: $groupBy) { metric } }',
          { metric: form.metric.trim(), name: form.name.trim(), aggregation: form.aggregation, valueProperty: form.valueProperty.trim() || null, groupBy },
        ),
      `Meter for ${form.metric.trim()} saved.`,
    );
    if (saved) setForm(emptyMeter);
  };

  /** @param {'metric' | 'name' | 'valueProperty' | 'groupBy'} field @param {string} label @param {string} [hint] @param {object} [attributes] */
  const input = (field, label, hint, attributes = {}) => (
    <div class="field">
      <label for={`${id}-${field}`}>{label}</label>
      <input
        id={`${id}-${field}`}
        value={form[field]}
        onInput={(event) => setForm({ ...form, [field]: event.currentTarget.value })}
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
      <h3 id={`${id}-title`}>Define a meter</h3>
      <p class="hint grid-form-wide">A metric’s aggregation never changes once it has a meter or events; its name and group-by keys may.</p>
      {input('metric', 'Metered metric', undefined, { placeholder: 'seats' })}
      {input('name', 'Meter name', undefined, { placeholder: 'Seats' })}
      <div class="field">
        <label for={`${id}-aggregation`}>Aggregation</label>
        <select
          id={`${id}-aggregation`}
          value={form.aggregation}
          onChange={(event) => setForm({ ...form, aggregation: /** @type {MeterAggregation} */ (event.currentTarget.value) })}
        >
          {aggregations.map((one) => (
            <option key={one.value} value={one.value}>
              {one.value} · {one.label}
            </option>
          ))}
        </select>
      </div>
      {input('valueProperty', 'Value property', 'The property UNIQUE_COUNT counts, e.g. user_id', { placeholder: 'user_id' })}
      {input('groupBy', 'Group by', 'Property keys, separated by commas', { placeholder: 'region, tier' })}
      <div class="grid-form-wide">
        <Outcome status={status} error={error} />
        <button class="button button-primary" type="submit">
          Save meter
        </button>
      </div>
    </form>
  );
}
