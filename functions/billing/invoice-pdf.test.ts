import { describe, expect, it } from 'vitest';
import type { Invoice, InvoiceLineItem } from '../../proto/gen/polaris/billing/v1/billing.js';
import { readPdf } from '../../test/support/pdf.js';
import { invoiceFonts } from './invoice-fonts.js';
import { formatPeriod, invoiceTitle, lineCells, renderInvoicePdf } from './invoice-pdf.js';

const usageLine = (index: number): InvoiceLineItem => ({
  metric: `metric_${index}`,
  quantity: '1500',
  freeQuota: '1000',
  billableQuantity: '500',
  unitPrice: '0.002',
  amount: '1.00',
  kind: 'usage',
  description: `Metric ${index}`,
  forPeriodStart: '',
  forPeriodEnd: '',
  where: [],
});

const invoice = (fields: Partial<Invoice>): Invoice => ({
  id: '0193a7c2-1111-7000-8000-000000000001',
  organizationId: '0193a7c2-2222-7000-8000-000000000002',
  periodStart: '2026-11-01T00:00:00.000Z',
  periodEnd: '2026-12-01T00:00:00.000Z',
  status: 'finalized',
  amount: '0.00',
  currency: 'EUR',
  lineItems: [],
  updatedAt: '2026-12-04T09:30:00.000Z',
  paymentStatus: '',
  number: 'INV-000042',
  voidReason: '',
  finalizedAt: '2026-12-04T09:30:00.000Z',
  ...fields,
});

const render = (fields: Partial<Invoice>) =>
  renderInvoicePdf({
    invoice: invoice(fields),
    customer: { id: '0193a7c2-2222-7000-8000-000000000002', name: 'Ωmega Ελλάς' },
    seller: { name: 'Polaris', address: [] },
    fonts: invoiceFonts(),
  }).then(readPdf);

describe('invoice documents', () => {
  it('run onto as many pages as the lines need, each with its table header and page number', async () => {
    const pdf = await render({ lineItems: Array.from({ length: 120 }, (_, index) => usageLine(index)), amount: '120.00' });
    expect(pdf.pages).toBeGreaterThan(2);
    pdf.text.forEach((page, index) => {
      expect(page).toContain('Amount (EUR)');
      expect(page.at(-1)).toBe(`Invoice INV-000042 · Ωmega Ελλάς · page ${index + 1} of ${pdf.pages}`);
    });
    const text = pdf.text.flat();
    for (let index = 0; index < 120; index++) expect(text).toContain(`Metric ${index}`);
    expect(pdf.text.at(-1)).toEqual(expect.arrayContaining(['Total', '120.00 EUR']));
  });

  it('print amounts digit for digit, however long', async () => {
    const amount = `${10n ** 52n - 1n}.99`;
    const pdf = await render({ lineItems: [{ ...usageLine(1), amount }], amount });
    expect(pdf.text.flat().join('')).toContain(`${amount} EUR`);
  });

  it('say when an invoice is void, and why', async () => {
    const pdf = await render({ status: 'void', voidReason: 'billed twice' });
    expect(pdf.info.Title).toBe('Void invoice INV-000042');
    expect(pdf.text.flat()).toEqual(expect.arrayContaining(['Void invoice INV-000042', 'Void: billed twice', 'No charges in this period.']));
  });
});

describe('invoice document parts', () => {
  it('titles drafts, finalized and void invoices', () => {
    expect(invoiceTitle({ status: 'draft', number: '' })).toBe('Draft invoice');
    expect(invoiceTitle({ status: 'finalized', number: 'INV-000001' })).toBe('Invoice INV-000001');
    expect(invoiceTitle({ status: 'void', number: '' })).toBe('Void invoice');
  });

  it('shows a period of whole UTC days by its first and last day, any other by its instants', () => {
    expect(formatPeriod('2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')).toBe('2026-11-01 – 2026-11-30');
    expect(formatPeriod('2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z')).toBe('2026-02-01 – 2026-02-01');
    expect(formatPeriod('2026-11-01T05:00:00.000Z', '2026-12-01T05:00:00.000Z')).toBe('2026-11-01 05:00 – 2026-12-01 05:00 UTC (end excluded)');
  });

  it('gives adjustments and credits their period, and tiered lines no one unit price', () => {
    const period = { forPeriodStart: '2026-10-01T00:00:00.000Z', forPeriodEnd: '2026-11-01T00:00:00.000Z' };
    expect(lineCells({ ...usageLine(1), ...period, kind: 'adjustment', description: 'Late usage', amount: '0.25' })).toEqual({
      description: 'Late usage',
      notes: ['for 2026-10-01 – 2026-10-31'],
      quantity: '',
      unitPrice: '',
      amount: '0.25',
    });
    expect(lineCells({ ...usageLine(1), ...period, kind: 'credit', amount: '-1.00' })).toMatchObject({ notes: ['for 2026-10-01 – 2026-10-31', '1500 used, 1000 included'], quantity: '500', amount: '-1.00' });
    expect(lineCells({ ...usageLine(1), unitPrice: '0', freeQuota: '0' })).toMatchObject({ notes: [], unitPrice: 'tiered' });
    expect(lineCells({ ...usageLine(1), kind: 'fee', metric: '', description: 'Platform fee', quantity: '1', freeQuota: '0', billableQuantity: '1', unitPrice: '49.00', amount: '49.00' })).toMatchObject({ notes: [], quantity: '1', unitPrice: '49.00' });
  });
});
