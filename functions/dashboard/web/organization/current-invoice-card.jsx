/** This month's invoice: the amount so far, and a line per priced metric. */
import { EmptyState, Money, StatusBadge } from '../components.jsx';
import { formatDecimal, formatPeriod } from '../format.js';
import { InvoicePdfButton } from '../invoice-pdf-button.jsx';

/** @typedef {import('../types').Invoice} Invoice */

/** @param {{ invoice: Invoice | undefined }} props */
export function CurrentInvoiceCard({ invoice }) {
  return (
    <section class="card card-invoice" aria-labelledby="current-invoice" data-current-invoice={invoice?.id}>
      <div class="card-header">
        <h2 id="current-invoice">This month’s invoice</h2>
        {invoice && <StatusBadge status={invoice.status} />}
      </div>
      {!invoice ? (
        <EmptyState title="No invoice yet this month">It appears with the first usage of a metric that has a plan, and follows that usage as it arrives.</EmptyState>
      ) : (
        <>
          <div class="amount-block" aria-live="polite" aria-atomic="true">
            <span class="amount-label">{invoice.status === 'draft' ? 'Amount so far' : 'Amount'}</span>
            <Money amount={invoice.amount} currency={invoice.currency} class="amount-big" />
            <span class="amount-currency">{invoice.currency}</span>
          </div>
          <p class="muted small">
            {formatPeriod(invoice.periodStart, invoice.periodEnd)}
            {invoice.status === 'draft' ? ' · a draft that follows usage as it arrives' : ' · finalized'}
          </p>
          <div class="invoice-document">
            <InvoicePdfButton invoice={invoice} />
          </div>
          {(invoice.lineItems ?? []).length === 0 ? (
            <EmptyState title="No lines yet">Usage of a metric with a plan makes a line.</EmptyState>
          ) : (
            <ul class="line-items">
              {(invoice.lineItems ?? []).map((item, index) => (
                <li key={index} class="line-item" data-line-metric={item.metric} data-kind={item.kind}>
                  <div class="line-item-head">
                    {/* Usage lines by their metric; fees, minimums, adjustments and credits by what they are for. */}
                    <span class={item.kind && item.kind !== 'usage' ? undefined : 'line-item-metric'}>{item.kind && item.kind !== 'usage' ? item.description : item.metric}</span>
                    <Money amount={item.amount} currency={invoice.currency} />
                  </div>
                  <dl class="line-item-detail">
                    <div>
                      <dt>Usage</dt>
                      <dd>{formatDecimal(item.quantity)}</dd>
                    </div>
                    <div>
                      <dt>Free</dt>
                      <dd>{formatDecimal(item.freeQuota)}</dd>
                    </div>
                    <div>
                      <dt>Billable</dt>
                      <dd>{formatDecimal(item.billableQuantity)}</dd>
                    </div>
                    <div>
                      <dt>Unit price</dt>
                      <dd>
                        <Money amount={item.unitPrice} currency={invoice.currency} />
                      </dd>
                    </div>
                  </dl>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
