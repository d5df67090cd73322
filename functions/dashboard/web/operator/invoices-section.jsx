/** An organization's invoices: generate one for a period, finalize a draft after a confirmation. */
import { useId, useState } from 'preact/hooks';
import { EmptyState, Money, StatusBadge, TableScroll } from '../components.jsx';
import { currentMonth, formatPeriod, isoDay } from '../format.js';
import { InvoicePdfButton } from '../invoice-pdf-button.jsx';
import { Outcome, useChanges } from './organization-section.jsx';

/** @typedef {import('./organization-section.jsx').SectionProps} SectionProps */

/** What this section reads of the organization. */
export const invoicesFields = 'invoices { id status periodStart periodEnd amount currency }';

/** @param {SectionProps} props */
export function InvoicesSection({ details, request, reload }) {
  const month = currentMonth();
  const [period, setPeriod] = useState({ start: isoDay(month.start), end: isoDay(month.end) });
  const [confirming, setConfirming] = useState(/** @type {string | null} */ (null));
  const { run, status, error } = useChanges(reload);
  const id = useId();

  /** @param {SubmitEvent} event */
  const generate = (event) => {
    event.preventDefault();
    void run(
      () => request('mutation($o: ID!, $s: String!, $e: String!) { generateInvoice(organizationId: $o, periodStart: $s, periodEnd: $e) { id } }', { o: details.id, s: period.start, e: period.end }),
      'Invoice generated.',
    );
  };

  /** @param {string} invoiceId */
  const finalize = (invoiceId) =>
    run(async () => {
      await request('mutation($id: ID!) { finalizeInvoice(id: $id) { id status } }', { id: invoiceId });
      setConfirming(null);
    }, 'Invoice finalized.');

  return (
    <section class="card" aria-labelledby="invoices">
      <div class="card-header">
        <h2 id="invoices">Invoices</h2>
      </div>
      <Outcome status={status} error={error} />
      {details.invoices.length === 0 ? (
        <EmptyState title="No invoices">A draft appears with the first priced usage; generate one for any period below.</EmptyState>
      ) : (
        <TableScroll label="Invoices">
          <table class="table table-stack" data-invoices>
            <thead>
              <tr>
                <th scope="col">Period</th>
                <th scope="col">Status</th>
                <th scope="col" class="numeric">
                  Amount
                </th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {details.invoices.map((invoice) => (
                <tr key={invoice.id} data-invoice-id={invoice.id} data-status={invoice.status}>
                  <th scope="row">{formatPeriod(invoice.periodStart, invoice.periodEnd)}</th>
                  <td data-label="Status">
                    <StatusBadge status={invoice.status} />
                  </td>
                  <td class="numeric" data-label="Amount">
                    <Money amount={invoice.amount} currency={invoice.currency} />
                  </td>
                  <td class="actions">
                    <InvoicePdfButton invoice={invoice} />
                    {invoice.status !== 'draft' ? null : confirming === invoice.id ? (
                      <span class="confirm">
                        <span>Freeze it for good?</span>
                        <button class="button button-danger" type="button" onClick={() => finalize(invoice.id)}>
                          Finalize
                        </button>
                        <button class="button button-quiet" type="button" onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button
                        class="button button-quiet"
                        type="button"
                        aria-label={`Finalize the invoice for ${formatPeriod(invoice.periodStart, invoice.periodEnd)}`}
                        onClick={() => setConfirming(invoice.id)}
                      >
                        Finalize…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <form class="grid-form" onSubmit={generate} noValidate aria-labelledby={`${id}-title`}>
        <h3 id={`${id}-title`}>Generate an invoice</h3>
        <p class="hint grid-form-wide">Prices the period from current usage; the same period gives the same invoice.</p>
        <div class="field">
          <label for={`${id}-start`}>From (UTC, included)</label>
          <input id={`${id}-start`} type="date" value={period.start} onInput={(event) => setPeriod({ ...period, start: event.currentTarget.value })} />
        </div>
        <div class="field">
          <label for={`${id}-end`}>To (UTC, excluded)</label>
          <input id={`${id}-end`} type="date" value={period.end} onInput={(event) => setPeriod({ ...period, end: event.currentTarget.value })} />
        </div>
        <div class="grid-form-wide">
          <button class="button button-primary" type="submit">
            Generate invoice
          </button>
        </div>
      </form>
    </section>
  );
}
