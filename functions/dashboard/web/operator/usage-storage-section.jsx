/**
 * The raw usage events kept, month by month, and what retention
 * (POLARIS_USAGE_RETENTION_MONTHS) has dropped: their aggregates stay, so
 * usage and invoices are whole whatever this shows.
 */
import { useEffect, useState } from 'preact/hooks';
import { ErrorMessage, TableScroll } from '../components.jsx';
import { formatBytes, formatDay, formatMonth, formatNumber } from '../format.js';

/** @typedef {import('../types').Request} Request */
/** @typedef {import('../types').UsageStorage} UsageStorage */

/** @param {{ request: Request }} props */
export function UsageStorageSection({ request }) {
  const [storage, setStorage] = useState(/** @type {UsageStorage | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));

  useEffect(() => {
    request('{ usageStorage { retentionMonths retainedSince months { month approximateEvents bytes } } }').then(
      (answer) => setStorage(/** @type {{ usageStorage: UsageStorage }} */ (answer).usageStorage),
      setError,
    );
  }, [request]);

  return (
    <section class="card" aria-labelledby="usage-storage" data-usage-storage>
      <div class="card-header">
        <h2 id="usage-storage">Raw usage events</h2>
      </div>
      <ErrorMessage error={error} title="Could not load the stored events:" />
      {!storage ? (
        !error && <p class="loading">Loading…</p>
      ) : (
        <>
          <p class="muted" data-retention-months={storage.retentionMonths} data-retained-since={storage.retainedSince ?? ''}>
            {storage.retentionMonths === 0
              ? 'Every event is kept (no retention set).'
              : `The current month and the ${storage.retentionMonths} before it are kept; older months are dropped once counted, their usage totals kept.`}
            {storage.retainedSince && ` Events received before ${formatDay(storage.retainedSince)} were dropped.`}
          </p>
          <TableScroll label="Raw usage events by month">
            <table class="table table-stack" data-event-months>
              <thead>
                <tr>
                  <th scope="col">Month received</th>
                  <th scope="col">Events (estimate)</th>
                  <th scope="col">On disk</th>
                </tr>
              </thead>
              <tbody>
                {storage.months.map((month) => (
                  <tr key={month.month} data-event-month={month.month}>
                    <th scope="row">{formatMonth(new Date(`${month.month}-01T00:00:00Z`))}</th>
                    <td data-label="Events (estimate)">{formatNumber(month.approximateEvents)}</td>
                    <td data-label="On disk">{formatBytes(month.bytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </>
      )}
    </section>
  );
}
