/** "Follow another metric": the metrics the viewer added by name, each with a button to stop following it. */
import { useId, useState } from 'preact/hooks';
import { metricPattern } from './added-metrics.js';

/**
 * Follows a metric that no plan or invoice names yet.
 * @param {{ added: string[], known: string[], onChange: (metrics: string[]) => void }} props
 */
export function AddMetricForm({ added, known, onChange }) {
  const [name, setName] = useState('');
  const [problem, setProblem] = useState('');
  const id = useId();

  /** @param {SubmitEvent} event */
  const add = (event) => {
    event.preventDefault();
    const metric = name.trim();
    if (!metricPattern.test(metric)) {
      setProblem('A metric is 1–64 characters of a-z 0-9 _ . -, starting with a letter.');
      return;
    }
    setProblem('');
    setName('');
    if (!known.includes(metric)) onChange([...added, metric]);
  };

  return (
    <form class="inline-form" onSubmit={add} noValidate>
      <div class="field">
        <label for={`${id}-metric`}>Follow another metric</label>
        <div class="input-row">
          <input
            id={`${id}-metric`}
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
            placeholder="e.g. storage_gb"
            autocomplete="off"
            spellcheck={false}
            aria-invalid={problem ? 'true' : undefined}
            aria-describedby={problem ? `${id}-problem` : undefined}
          />
          <button class="button" type="submit">
            Add
          </button>
        </div>
        {problem && (
          <p class="field-error" id={`${id}-problem`} role="alert">
            {problem}
          </p>
        )}
      </div>
      {added.length > 0 && (
        <ul class="chips" aria-label="Metrics you added">
          {added.map((metric) => (
            <li key={metric} class="chip">
              {metric}
              <button class="chip-remove" type="button" aria-label={`Stop following ${metric}`} onClick={() => onChange(added.filter((other) => other !== metric))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
