/**
 * An organization's invoices with their lines: generate one for a period,
 * finalize a draft after a confirmation, void a finalized one with a reason.
 */
import { Fragment } from 'preact';
import { useId, useState } from 'preact/hooks';
import { EmptyState, Money, StatusBadge, TableScroll } from '../components.jsx';
import { currentMonth, formatDay, formatPeriod, isoDay } from '../format.js';
import { InvoicePdfButton } from '../invoice-pdf-button.jsx';
import { Outcome, useChanges } from './organization-section.jsx';

/** @typedef {import('./organization-section.jsx').SectionProps} SectionProps */
/** @typedef {import('../types').Invoice} Invoice */

/** What this section reads of the organization. */
export const invoicesFields =
  'invoices { id number status periodStart periodEnd amount currency finalizedAt voidReason lineItems { kind description metric amount forPeriodStart forPeriodEnd } }';

/** What the operator is doing to one invoice: confirming its finalization, or giving the reason to void it. */
/** @typedef {{ id: string, action: 'finalize' } | { id: string, action: 'void', reason: string }} Pending */

/** @param {SectionProps} props */
export function InvoicesSection({ details, request, reload }) {
  const month = currentMonth();
  const [period, setPeriod] = useState({ start: isoDay(month.start), end: isoDay(month.end) });
  const [pending, setPending] = useState(/** @type {Pending | null} */ (null));
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
      setPending(null);
    }, 'Invoice finalized.');

  /** @param {SubmitEvent} event @param {string} invoiceId @param {string} reason */
  const voidInvoice = (event, invoiceId, reason) => {
    event.preventDefault();
    void run(async () => {
      await request('mutation($id: ID!, $reason: String!) { voidInvoice(id: $id, reason: $reason) { id status } }', { id: invoiceId, reason: reason.trim() });
      setPending(null);
    }, 'Invoice voided: the next open invoice credits it.');
  };

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
                <th scope="col">Number</th>
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
              {details.invoices.map((invoice) => {
                const period = formatPeriod(invoice.periodStart, invoice.periodEnd);
                return (
                  <Fragment key={invoice.id}>
                    <tr data-invoice-id={invoice.id} data-status={invoice.status} data-number={invoice.number ?? ''}>
                      <th scope="row">{period}</th>
                      <td data-label="Number">
                        {invoice.number ? <span class="mono">{invoice.number}</span> : <span class="muted">—</span>}
                        {invoice.finalizedAt && <p class="muted small">finalized {formatDay(invoice.finalizedAt)}</p>}
                      </td>
                      <td data-label="Status">
                        <StatusBadge status={invoice.status} />
                        {invoice.voidReason && <p class="muted small" data-void-reason>{invoice.voidReason}</p>}
                      </td>
                      <td class="numeric" data-label="Amount">
                        <Money amount={invoice.amount} currency={invoice.currency} />
                      </td>
                      <td class="actions">
                        <InvoicePdfButton invoice={invoice} />
                        {invoice.status === 'draft' &&
                          (pending?.id === invoice.id && pending.action === 'finalize' ? (
                            <span class="confirm">
                              <span>Freeze it for good?</span>
                              <button class="button button-danger" type="button" onClick={() => finalize(invoice.id)}>
                                Finalize
                              </button>
                              <button class="button button-quiet" type="button" onClick={() => setPending(null)}>
                                Cancel
                              </button>
                            </span>
                          ) : (
                            <button class="button button-quiet" type="button" aria-label={`Finalize the invoice for ${period}`} onClick={() => setPending({ id: invoice.id, action: 'finalize' })}>
                              Finalize…
                            </button>
                          ))}
                        {invoice.status === 'finalized' &&
                          (pending?.id === invoice.id && pending.action === 'void' ? (
                            <form class="confirm" onSubmit={(event) => voidInvoice(event, invoice.id, pending.reason)} noValidate>
                              <label class="visually-hidden" for={`${id}-reason-${invoice.id}`}>
                                Reason for voiding
                              </label>
                              <input
                                id={`${id}-reason-${invoice.id}`}
                                value={pending.reason}
                                placeholder="Reason"
                                onInput={(event) => setPending({ ...pending, reason: event.currentTarget.value })}
                              />
                              <button class="button button-danger" type="submit">
                                Void
                              </button>
                              <button class="button button-quiet" type="button" onClick={() => setPending(null)}>
                                Cancel
                              </button>
                            </form>
                          ) : (
                            <button
                              class="button button-quiet"
                              type="button"
                              aria-label={`Void invoice ${invoice.number ?? ''} for ${period}`}
                              onClick={() => setPending({ id: invoice.id, action: 'void', reason: '' })}
                            >
                              Void…
                            </button>
                          ))}
                      </td>
                    </tr>
                    <tr class="invoice-lines-row" data-invoice-lines={invoice.id}>
                      <td colSpan={5}>
                        <InvoiceLines invoice={invoice} />
                      </td>
                    </tr>
                  </Fragment>
                );
              })}
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

/**
 * An invoice's lines, folded: each with its kind, its description and, for
 * adjustments and credits, the period it settles.
 * @param {{ invoice: Invoice }} props
 */
function InvoiceLines({ invoice }) {
  const lines = invoice.lineItems ?? [];
  if (lines.length === 0) return <span class="muted small">No lines</span>;
  return (
    <details class="invoice-lines">
      <summary>
        {lines.length} {lines.length === 1 ? 'line' : 'lines'}
      </summary>
      <ul class="line-items">
        {lines.map((line, index) => (
          <li key={index} class="line-item" data-kind={line.kind}>
            <div class="line-item-head">
              <span>
                <span class={`badge ${line.kind === 'credit' ? 'badge-final' : line.kind === 'adjustment' ? 'badge-draft' : 'badge-muted'}`}>{line.kind}</span> {line.description || line.metric}
              </span>
              <Money amount={line.amount} currency={invoice.currency} />
            </div>
            {line.forPeriodStart && line.forPeriodEnd && <p class="muted small">For {formatPeriod(line.forPeriodStart, line.forPeriodEnd)}</p>}
          </li>
        ))}
      </ul>
    </details>
  );
}
