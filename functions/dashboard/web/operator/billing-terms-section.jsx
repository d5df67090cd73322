/**
 * How an organization is billed besides its plans: the time zone its months
 * follow, a recurring fee and a minimum per period; and the form that sets them.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { Money } from '../components.jsx';
import { Outcome, useChanges } from './organization-section.jsx';

/** @typedef {import('./organization-section.jsx').SectionProps} SectionProps */
/** @typedef {import('../types').BillingTerms} BillingTerms */
/** @typedef {{ timeZone: string, recurringFee: string, recurringFeeName: string, minimum: string }} TermsFields the form's fields, as typed */

/** What this section reads of the organization. */
export const billingTermsFields = 'billingTerms { timeZone recurringFee recurringFeeName minimum currency }';

/** @param {BillingTerms} terms @returns {TermsFields} */
const fieldsOf = (terms) => ({ timeZone: terms.timeZone, recurringFee: terms.recurringFee, recurringFeeName: terms.recurringFeeName, minimum: terms.minimum });

/** @param {SectionProps} props */
export function BillingTermsSection({ details, request, reload }) {
  const terms = details.billingTerms;
  const [form, setForm] = useState(() => fieldsOf(terms));
  const { run, status, error } = useChanges(reload);
  const id = useId();
  // The terms as saved, after each reload.
  useEffect(() => setForm(fieldsOf(terms)), [terms.timeZone, terms.recurringFee, terms.recurringFeeName, terms.minimum]);
  const currency = terms.currency ?? 'USD';

  /** @param {SubmitEvent} event */
  const save = (event) => {
    event.preventDefault();
    void run(
      () =>
        request(
          'mutation($o: ID!, $timeZone: String, $fee: Decimal, $feeName: String, $minimum: Decimal) { setBillingTerms(organizationId: $o, timeZone: $timeZone, recurringFee: $fee, recurringFeeName: $feeName, minimum: $minimum) { timeZone } }',
          { o: details.id, timeZone: form.timeZone.trim(), fee: form.recurringFee.trim() || '0', feeName: form.recurringFeeName.trim(), minimum: form.minimum.trim() || '0' },
        ),
      'Billing terms saved.',
    );
  };

  /** @param {keyof TermsFields} field @param {string} label @param {string} [hint] @param {object} [attributes] */
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
    <section class="card" aria-labelledby="billing-terms">
      <div class="card-header">
        <h2 id="billing-terms">Billing terms</h2>
      </div>
      <dl class="terms" data-billing-terms data-time-zone={terms.timeZone} data-recurring-fee={terms.recurringFee} data-minimum={terms.minimum}>
        <div>
          <dt>Time zone</dt>
          <dd>{terms.timeZone}</dd>
        </div>
        <div>
          <dt>{terms.recurringFeeName}</dt>
          <dd>{terms.recurringFee === '0' ? 'none' : <Money amount={terms.recurringFee} currency={currency} />}</dd>
        </div>
        <div>
          <dt>Minimum</dt>
          <dd>{terms.minimum === '0' ? 'none' : <Money amount={terms.minimum} currency={currency} />}</dd>
        </div>
        <div>
          <dt>Currency</dt>
          <dd>{currency}</dd>
        </div>
      </dl>
      <form class="grid-form" onSubmit={save} noValidate aria-labelledby={`${id}-title`}>
        <h3 id={`${id}-title`}>Set the billing terms</h3>
        <p class="hint grid-form-wide">Billing periods are calendar months in the time zone, which changes only before the first invoice.</p>
        {input('timeZone', 'Time zone', 'IANA name, e.g. Europe/Berlin', { placeholder: 'UTC' })}
        {input('recurringFeeName', 'Fee name', undefined, { placeholder: 'Subscription' })}
        {input('recurringFee', 'Recurring fee', 'Charged every period; 0: none', { inputMode: 'decimal' })}
        {input('minimum', 'Minimum', 'A period billed less is topped up to it; 0: none', { inputMode: 'decimal' })}
        <div class="grid-form-wide">
          <Outcome status={status} error={error} />
          <button class="button button-primary" type="submit">
            Save terms
          </button>
        </div>
      </form>
    </section>
  );
}
