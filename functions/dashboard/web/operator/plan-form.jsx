/**
 * Sets the price of one metric (or of its usage with some property values)
 * from a billing period on: its model, with a unit price, tiers or a
 * package, and the period it takes effect in.
 */
import { Outcome, useChanges } from './organization-section.jsx';
import { modelNames, whereText } from './price-summary.js';

/** @typedef {import('./organization-section.jsx').SectionProps} SectionProps */
/** @typedef {import('../types').Plan} Plan */
/** @typedef {import('../types').PricingModel} PricingModel */
/** @typedef {{ upTo: string, unitPrice: string, flatPrice: string }} TierFields one tier, as typed; no upTo: the last */
/**
 * @typedef {{ name: string, metric: string, model: PricingModel, unitPrice: string, freeQuota: string, tiers: TierFields[],
 *   packageSize: string, packagePrice: string, where: string, effectiveFrom: string }} PlanFields the form's fields, as typed
 */

/** @type {TierFields} */
const emptyTier = { upTo: '', unitPrice: '', flatPrice: '' };

/** @type {PlanFields} */
export const emptyPlan = {
  name: '',
  metric: '',
  model: 'PER_UNIT',
  unitPrice: '',
  freeQuota: '0',
  tiers: [emptyTier, emptyTier],
  packageSize: '',
  packagePrice: '',
  where: '',
  effectiveFrom: '',
};

/**
 * The form filled in from a plan, to change it.
 * @param {Plan} plan
 * @returns {PlanFields}
 */
export function planFields(plan) {
  return {
    ...emptyPlan,
    name: plan.name,
    metric: plan.metric,
    model: plan.model,
    unitPrice: plan.model === 'PER_UNIT' ? plan.unitPrice : '',
    freeQuota: plan.freeQuota,
    tiers: plan.tiers.length > 0 ? plan.tiers.map((tier) => ({ upTo: tier.upTo ?? '', unitPrice: tier.unitPrice, flatPrice: tier.flatPrice ?? '' })) : emptyPlan.tiers,
    packageSize: plan.packageSize ?? '',
    packagePrice: plan.packagePrice ?? '',
    where: whereText(plan.where),
  };
}

/**
 * `region=eu,us; tier=pro` → the API's filters; anything after `=` is split at commas.
 * @param {string} text
 */
function filters(text) {
  return text
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const equals = part.indexOf('=');
      const key = (equals < 0 ? part : part.slice(0, equals)).trim();
      const values = equals < 0 ? [] : part.slice(equals + 1).split(',').map((value) => value.trim()).filter(Boolean);
      return { key, values };
    });
}

const setPlan = `mutation($o: ID!, $name: String!, $metric: String!, $model: PricingModel, $unitPrice: Decimal, $freeQuota: Decimal, $tiers: [PriceTierInput!],
  $packageSize: Decimal, $packagePrice: Decimal, $where: [PropertyFilter!], $effectiveFrom: String) {
  setPlan(organizationId: $o, name: $name, metric: $metric, model: $model, unitPrice: $unitPrice, freeQuota: $freeQuota, tiers: $tiers,
    packageSize: $packageSize, packagePrice: $packagePrice, where: $where, effectiveFrom: $effectiveFrom) { id }
}`;

/**
 * The variables of setPlan: only the fields of the chosen model; an empty
 * text is left out, so the API names what is missing.
 * @param {string} organizationId
 * @param {PlanFields} form
 */
function variables(organizationId, form) {
  const text = (/** @type {string} */ value) => value.trim() || undefined;
  const tiered = form.model === 'GRADUATED' || form.model === 'VOLUME';
  return {
    o: organizationId,
    name: form.name.trim(),
    metric: form.metric.trim(),
    model: form.model,
    unitPrice: form.model === 'PER_UNIT' ? text(form.unitPrice) : undefined,
    freeQuota: tiered ? undefined : text(form.freeQuota),
    tiers: tiered
      ? form.tiers.map((tier, i) => ({ upTo: i === form.tiers.length - 1 ? undefined : text(tier.upTo), unitPrice: tier.unitPrice.trim(), flatPrice: text(tier.flatPrice) }))
      : undefined,
    packageSize: form.model === 'PACKAGE' ? text(form.packageSize) : undefined,
    packagePrice: form.model === 'PACKAGE' ? text(form.packagePrice) : undefined,
    where: filters(form.where),
    effectiveFrom: text(form.effectiveFrom),
  };
}

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
    const saved = await run(() => request(setPlan, variables(details.id, form)), `Plan for ${form.metric.trim()} saved.`);
    if (saved) onChange(emptyPlan);
  };

  /** @param {number} index @param {Partial<TierFields>} change */
  const setTier = (index, change) => onChange({ ...form, tiers: form.tiers.map((tier, i) => (i === index ? { ...tier, ...change } : tier)) });

  /** @param {'name' | 'metric' | 'unitPrice' | 'freeQuota' | 'packageSize' | 'packagePrice' | 'where' | 'effectiveFrom'} field @param {string} label @param {string} [hint] @param {object} [attributes] */
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

  const tiered = form.model === 'GRADUATED' || form.model === 'VOLUME';
  return (
    <form class="grid-form" onSubmit={save} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Set a plan</h3>
      <p class="hint grid-form-wide">
        One price per metric (and property values) at a time: a new one takes over from the start of its billing period; the old one stays in the history.
      </p>
      {input('name', 'Plan name', undefined, { placeholder: 'API calls' })}
      {input('metric', 'Metric', undefined, { placeholder: 'api_calls' })}
      <div class="field">
        <label for={`${id}-model`}>Pricing model</label>
        <select id={`${id}-model`} value={form.model} onChange={(event) => onChange({ ...form, model: /** @type {PricingModel} */ (event.currentTarget.value) })}>
          {Object.entries(modelNames).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {form.model === 'PER_UNIT' && input('unitPrice', 'Unit price', 'Exact decimal, e.g. 0.002', { inputMode: 'decimal', placeholder: '0.002' })}
      {form.model === 'PACKAGE' && input('packageSize', 'Package size', 'Units per package; a started package is charged whole', { inputMode: 'decimal', placeholder: '1000' })}
      {form.model === 'PACKAGE' && input('packagePrice', 'Package price', undefined, { inputMode: 'decimal', placeholder: '5' })}
      {!tiered && input('freeQuota', 'Free quota', 'Units free each billing period', { inputMode: 'decimal' })}
      {tiered && (
        <fieldset class="grid-form-wide tiers" data-tiers>
          <legend>Tiers</legend>
          <p class="hint">
            {form.model === 'GRADUATED' ? 'Each unit at the price of the tier it falls in.' : 'Every unit at the price of the tier the whole quantity falls in.'} Ascending; the last tier
            has no upper bound.
          </p>
          {form.tiers.map((tier, index) => {
            const last = index === form.tiers.length - 1;
            const label = `Tier ${index + 1}`;
            return (
              <div class="tier-row" key={index} data-tier={index}>
                <div class="field">
                  <label for={`${id}-tier-${index}-upTo`}>{label}: up to</label>
                  <input
                    id={`${id}-tier-${index}-upTo`}
                    value={last ? '' : tier.upTo}
                    disabled={last}
                    placeholder={last ? 'and above' : '1000'}
                    inputMode="decimal"
                    onInput={(event) => setTier(index, { upTo: event.currentTarget.value })}
                  />
                </div>
                <div class="field">
                  <label for={`${id}-tier-${index}-unitPrice`}>{label}: unit price</label>
                  <input id={`${id}-tier-${index}-unitPrice`} value={tier.unitPrice} inputMode="decimal" onInput={(event) => setTier(index, { unitPrice: event.currentTarget.value })} />
                </div>
                <div class="field">
                  <label for={`${id}-tier-${index}-flatPrice`}>{label}: flat price</label>
                  <input
                    id={`${id}-tier-${index}-flatPrice`}
                    value={tier.flatPrice}
                    placeholder="0"
                    inputMode="decimal"
                    onInput={(event) => setTier(index, { flatPrice: event.currentTarget.value })}
                  />
                </div>
                <button
                  class="button button-quiet"
                  type="button"
                  aria-label={`Remove tier ${index + 1}`}
                  disabled={form.tiers.length === 1}
                  onClick={() => onChange({ ...form, tiers: form.tiers.filter((_, i) => i !== index) })}
                >
                  Remove
                </button>
              </div>
            );
          })}
          <button class="button button-quiet" type="button" onClick={() => onChange({ ...form, tiers: [...form.tiers, emptyTier] })}>
            Add a tier
          </button>
        </fieldset>
      )}
      {input('where', 'Only usage where', 'Optional: property values, e.g. model=gpt-4,gpt-4o; region=eu', { placeholder: 'model=gpt-4' })}
      {input('effectiveFrom', 'Effective from', 'Optional: a day in the first billing period it prices; empty: the current one', { type: 'date' })}
      <div class="grid-form-wide">
        <Outcome status={status} error={error} />
        <button class="button button-primary" type="submit">
          Save plan
        </button>
      </div>
    </form>
  );
}
