/**
 * An organization's limits per second (ingest requests, ingest events,
 * GraphQL cost) and the form that sets them. Saving sets all three: a field
 * left empty goes back to the deployment's default, as the mutation does.
 */
import { useId, useState } from 'preact/hooks';
import { LimitsTerms } from '../components.jsx';
import { Outcome, useChanges } from './organization-section.jsx';

export { limitsFields } from '../components.jsx';

/** @typedef {import('./organization-section.jsx').SectionProps} SectionProps */
/** @typedef {'ingestRequestsPerSecond' | 'ingestEventsPerSecond' | 'graphqlCostPerSecond'} LimitField */

/** The form's fields, in order, as GraphQL names them. */
const limitFields = /** @type {const} */ ([
  ['ingestRequestsPerSecond', 'Ingest requests per second'],
  ['ingestEventsPerSecond', 'Ingest events per second'],
  ['graphqlCostPerSecond', 'GraphQL cost per second'],
]);

/**
 * A field as typed, for the mutation: left out when empty, a number when it
 * reads as one, else the text itself, so the gateway refuses it naming the
 * field rather than the page guessing.
 * @param {string} typed
 * @returns {number | string | undefined}
 */
function limitValue(typed) {
  const text = typed.trim();
  if (text === '') return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : text;
}

/** @param {SectionProps} props */
export function LimitsSection({ details, request, reload }) {
  const { run, status, error } = useChanges(reload);
  const id = useId();
  const [form, setForm] = useState(/** @type {Record<LimitField, string>} */ ({ ingestRequestsPerSecond: '', ingestEventsPerSecond: '', graphqlCostPerSecond: '' }));

  /** @param {SubmitEvent} event */
  const save = (event) => {
    event.preventDefault();
    const limits = Object.fromEntries(limitFields.map(([field]) => [field, limitValue(form[field])]).filter(([, value]) => value !== undefined));
    void run(
      () =>
        request('mutation($o: ID!, $limits: OrganizationLimitsInput!) { setOrganizationLimits(organizationId: $o, limits: $limits) { id } }', {
          o: details.id,
          limits,
        }),
      'Limits saved.',
    );
  };

  return (
    <section class="card" aria-labelledby="organization-limits" data-limits-section>
      <div class="card-header">
        <h2 id="organization-limits">Limits</h2>
      </div>
      <LimitsTerms limits={details.limits} />
      <form class="grid-form" onSubmit={save} noValidate aria-labelledby={`${id}-title`}>
        <h3 id={`${id}-title`}>Set the limits</h3>
        <p class="hint grid-form-wide">
          Whole numbers from 1 to 10,000,000, with bursts of twice as much. Saving sets all three: a field left empty goes back to the default. Ingest and the gateway apply them within a minute.
        </p>
        {limitFields.map(([field, label]) => (
          <div class="field" key={field}>
            <label for={`${id}-${field}`}>{label}</label>
            <input
              id={`${id}-${field}`}
              value={form[field]}
              onInput={(event) => setForm({ ...form, [field]: event.currentTarget.value })}
              inputMode="numeric"
              placeholder="default"
              autocomplete="off"
              spellcheck={false}
            />
          </div>
        ))}
        <div class="grid-form-wide">
          <Outcome status={status} error={error} />
          <button class="button button-primary" type="submit">
            Save limits
          </button>
        </div>
      </form>
    </section>
  );
}
