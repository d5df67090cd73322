/**
 * Meters, the same for every organization: how each metric is measured, and
 * the form that defines one (meter-form.jsx). A metric without a meter is a
 * SUM meter with no properties.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { EmptyState, ErrorMessage, TableScroll } from '../components.jsx';
import { MeterForm } from './meter-form.jsx';

/** @typedef {import('../types').Request} Request */
/** @typedef {import('../types').Meter} Meter */

export const meterFields = 'metric name aggregation valueProperty groupBy';

/** @param {{ request: Request }} props */
export function MetersSection({ request }) {
  const [meters, setMeters] = useState(/** @type {Meter[] | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));

  const reload = useCallback(async () => {
    try {
      /** @type {{ meters: Meter[] }} */
      const answer = await request(`{ meters { ${meterFields} } }`);
      setMeters([...answer.meters].sort((a, b) => a.metric.localeCompare(b.metric)));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [request]);

  useEffect(() => {
    void reload();
  }, [reload]);

  return (
    <section class="card" aria-labelledby="meters" data-meters-section>
      <div class="card-header">
        <h2 id="meters">Meters</h2>
      </div>
      <ErrorMessage error={error} title="Could not load meters:" />
      {!meters ? (
        !error && <p class="loading">Loading…</p>
      ) : meters.length === 0 ? (
        <EmptyState title="No meters">Every metric is summed. Define a meter below to count events, take the greatest or latest reading, or count distinct values.</EmptyState>
      ) : (
        <TableScroll label="Meters">
          <table class="table table-stack" data-meters>
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col">Name</th>
                <th scope="col">Aggregation</th>
                <th scope="col">Value property</th>
                <th scope="col">Group by</th>
              </tr>
            </thead>
            <tbody>
              {meters.map((meter) => (
                <tr key={meter.metric} data-meter-metric={meter.metric} data-aggregation={meter.aggregation}>
                  <th scope="row">
                    <code>{meter.metric}</code>
                  </th>
                  <td data-label="Name">{meter.name}</td>
                  <td data-label="Aggregation">
                    <span class="badge badge-muted">{meter.aggregation}</span>
                  </td>
                  <td data-label="Value property">{meter.valueProperty ? <code>{meter.valueProperty}</code> : <span class="muted">—</span>}</td>
                  <td data-label="Group by" data-group-by={meter.groupBy.join(',')}>
                    {meter.groupBy.length === 0 ? <span class="muted">—</span> : meter.groupBy.map((key) => <code key={key}>{key} </code>)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <MeterForm request={request} reload={reload} />
    </section>
  );
}
