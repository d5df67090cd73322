/** Records usage by hand, for members who may (not viewers): the recordUsage mutation, as a backend would. */
import { useId, useState } from 'preact/hooks';
import { GraphqlError } from '../api.js';
import { ErrorMessage } from '../components.jsx';
import { metricPattern } from './added-metrics.js';

/** @param {{ request: import('../types').Request, onRecorded: () => void }} props */
export function RecordUsageCard({ request, onRecorded }) {
  const [metric, setMetric] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [status, setStatus] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [busy, setBusy] = useState(false);
  const id = useId();

  /** @param {SubmitEvent} event */
  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    setStatus('');
    const name = metric.trim();
    const amount = Number(quantity);
    /** @type {{ field: string, message: string }[]} */
    const problems = [];
    if (!metricPattern.test(name)) problems.push({ field: 'metric', message: 'must be 1–64 characters of a-z 0-9 _ . -, starting with a letter' });
    if (!/^\d+$/.test(quantity.trim()) || !Number.isSafeInteger(amount)) problems.push({ field: 'quantity', message: 'must be a whole number of 0 or more' });
    if (problems.length > 0) return setError(new GraphqlError('Check the usage to record.', 'BAD_USER_INPUT', problems));
    setBusy(true);
    setError(null);
    try {
      await request('mutation Record($metric: String!, $quantity: Int!) { recordUsage(metric: $metric, quantity: $quantity) }', { metric: name, quantity: amount });
      setStatus(`Recorded ${amount} ${name}.`);
      onRecorded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" aria-labelledby={`${id}-title`} data-record-usage>
      <div class="card-header">
        <h2 id={`${id}-title`}>Record usage</h2>
      </div>
      <form class="grid-form grid-form-flush" onSubmit={submit} noValidate>
        <div class="field">
          <label for={`${id}-metric`}>Usage metric</label>
          <input id={`${id}-metric`} value={metric} onInput={(event) => setMetric(event.currentTarget.value)} spellcheck={false} autocomplete="off" placeholder="api_calls" />
        </div>
        <div class="field">
          <label for={`${id}-quantity`}>Quantity</label>
          <input id={`${id}-quantity`} inputMode="numeric" value={quantity} onInput={(event) => setQuantity(event.currentTarget.value)} />
        </div>
        <div class="grid-form-wide">
          <button class="button button-primary" type="submit" aria-busy={busy}>
            Record
          </button>
        </div>
      </form>
      <p class="status-line" role="status">
        {status}
      </p>
      <ErrorMessage error={error} title="Not recorded:" />
    </section>
  );
}
