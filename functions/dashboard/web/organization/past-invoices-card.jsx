/** The organization's invoices other than this month's. */
import { EmptyState, Money, StatusBadge, TableScroll } from '../components.jsx';
import { formatPeriod } from '../format.js';
import { InvoicePdfButton } from '../invoice-pdf-button.jsx';

/** @typedef {import('../types').Invoice} Invoice */

/** @param {{ invoices: Invoice[] }} props */
export function PastInvoicesCard({ invoices }) {
  return (
    <section class="card" aria-labelledby="past-invoices">
      <div class="card-header">
        <h2 id="past-invoices">Past invoices</h2>
      </div>
      {invoices.length === 0 ? (
        <EmptyState title="No past invoices">Invoices of earlier months show here once they exist.</EmptyState>
      ) : (
        <TableScroll label="Past invoices">
          <table class="table table-stack" data-past-invoices>
            <thead>
              <tr>
                <th scope="col">Period</th>
                <th scope="col">Status</th>
                <th scope="col" class="numeric">
                  Amount
                </th>
                <th scope="col">
                  <span class="visually-hidden">Document</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invoices.map((invoice) => (
                <tr key={invoice.id} data-invoice-id={invoice.id}>
                  <th scope="row">{formatPeriod(invoice.periodStart, invoice.periodEnd)}</th>
                  <td data-label="Status">
                    <StatusBadge status={invoice.status} />
                  </td>
                  <td class="numeric" data-label="Amount">
                    <Money amount={invoice.amount} currency={invoice.currency} />
                  </td>
                  <td class="actions">
                    <InvoicePdfButton invoice={invoice} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
