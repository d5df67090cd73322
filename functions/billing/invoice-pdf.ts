/**
 * An invoice as a PDF: seller, customer, number, period, a table of its lines
 * and the total, on as many A4 pages as the lines need. Every amount and
 * quantity is printed as the Billing RPC wrote it (exact decimal strings),
 * never through a float; every text is set in the embedded DejaVu Sans.
 */
import type { Invoice, InvoiceLineItem } from '../../proto/gen/polaris/billing/v1/billing.js';
import type { InvoiceFonts } from './invoice-fonts.js';

export interface InvoiceDocumentInput {
  invoice: Invoice;
  customer: { id: string; name: string };
  seller: { name: string; address: readonly string[] };
  fonts: InvoiceFonts;
  /** When the document was made (its CreationDate); default now. */
  now?: Date;
}

/** "Invoice INV-000001"; a draft has no number yet, and a void one says so first. */
export function invoiceTitle(invoice: Pick<Invoice, 'status' | 'number'>): string {
  if (invoice.status === 'draft') return 'Draft invoice';
  if (invoice.status === 'void') return invoice.number ? `Void invoice ${invoice.number}` : 'Void invoice';
  return `Invoice ${invoice.number}`;
}

const dayMs = 24 * 60 * 60 * 1000;

/**
 * A period `[start, end)` as people read it: whole UTC days as their first and
 * last day (2026-11-01 – 2026-11-30); any other bounds as UTC times with the
 * end excluded.
 */
export function formatPeriod(start: string, end: string): string {
  const [from, to] = [new Date(start), new Date(end)];
  if (from.getTime() % dayMs === 0 && to.getTime() % dayMs === 0) return `${day(from)} – ${day(new Date(to.getTime() - dayMs))}`;
  return `${minute(from)} – ${minute(to)} UTC (end excluded)`;
}

const day = (at: Date) => at.toISOString().slice(0, 10);
const minute = (at: Date) => at.toISOString().slice(0, 16).replace('T', ' ');

/** True for an exact decimal string equal to zero ("0", "0.00", "-0"). */
const isZero = (value: string) => /^[+-]?0*(\.0*)?$/.test(value);

/** The four cells of a line and the small print under its description. */
export function lineCells(line: InvoiceLineItem): { description: string; notes: string[]; quantity: string; unitPrice: string; amount: string } {
  const notes: string[] = [];
  if (line.forPeriodStart && line.forPeriodEnd) notes.push(`for ${formatPeriod(line.forPeriodStart, line.forPeriodEnd)}`);
  const usage = line.kind === 'usage' || (line.kind === 'credit' && line.metric !== '');
  if (usage && line.freeQuota !== '' && !isZero(line.freeQuota)) notes.push(`${line.quantity} used, ${line.freeQuota} included`);
  // An adjustment corrects an amount: its quantity and price are the original line's business.
  const priced = line.kind !== 'adjustment';
  // Tiered prices have no one unit price (the RPC says 0), though the line costs something.
  const tiered = usage && isZero(line.unitPrice) && !isZero(line.amount);
  return {
    description: line.description || line.metric || line.kind,
    notes,
    quantity: priced ? line.billableQuantity : '',
    unitPrice: priced && !tiered ? line.unitPrice : priced ? 'tiered' : '',
    amount: line.amount,
  };
}

const statusNames: Record<string, string> = { draft: 'Draft', finalized: 'Finalized', void: 'Void' };

/** Points kept free around each page, and above its bottom margin for the footer. */
const margin = 50;
const footerSpace = 24;
const grey = '#555555';
const rule = '#bbbbbb';

/** The table's columns, left to right, across the page's 495 points of width. */
const columns = [
  { key: 'description', title: 'Description', width: 223, align: 'left' },
  { key: 'quantity', title: 'Quantity', width: 88, align: 'right' },
  { key: 'unitPrice', title: 'Unit price', width: 84, align: 'right' },
  { key: 'amount', title: 'Amount', width: 100, align: 'right' },
] as const;
const cellGap = 8;

/**
 * pdfkit (with its fonts' and images' code, a tenth of the bundle) is loaded
 * by the first document, not at start: the function is ready sooner and
 * idles smaller while nobody asks for a PDF.
 */
export async function renderInvoicePdf(input: InvoiceDocumentInput): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  const { invoice, customer, seller, fonts } = input;
  const title = invoiceTitle(invoice);
  const doc = new PDFDocument({
    size: 'A4',
    margin,
    bufferPages: true,
    font: fonts.regular,
    displayTitle: true,
    lang: 'en',
    info: { Title: title, Author: seller.name, Subject: `${title} for ${customer.name}`, Creator: 'Polaris', CreationDate: input.now ?? new Date() },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = margin;
  const width = doc.page.width - 2 * margin;
  const bottom = () => doc.page.height - margin - footerSpace;
  const regular = (size: number, color = 'black') => doc.font(fonts.regular).fontSize(size).fillColor(color);
  const bold = (size: number, color = 'black') => doc.font(fonts.bold).fontSize(size).fillColor(color);
  const hrule = (y: number) => doc.moveTo(left, y).lineTo(left + width, y).lineWidth(0.5).strokeColor(rule).stroke();

  // Title, and what a draft or void document is.
  bold(20).text(title, left, margin, { width });
  if (invoice.status === 'draft') regular(9, grey).text('A draft: its lines and total follow usage until the invoice is finalized.', { width });
  if (invoice.status === 'void') bold(10, '#a00000').text(`Void${invoice.voidReason ? `: ${invoice.voidReason}` : ''}`, { width });

  // Seller and customer, side by side.
  const partiesTop = doc.y + 18;
  const half = (width - 20) / 2;
  const party = (x: number, label: string, name: string, lines: readonly string[]) => {
    regular(8, grey).text(label.toUpperCase(), x, partiesTop, { width: half, characterSpacing: 0.5 });
    bold(11).text(name, x, doc.y + 2, { width: half });
    regular(9.5);
    for (const line of lines) doc.text(line, x, doc.y, { width: half });
    return doc.y;
  };
  const partiesBottom = Math.max(
    party(left, 'From', seller.name, seller.address),
    party(left + half + 20, 'Bill to', customer.name, [`ID ${customer.id}`]),
  );

  // The invoice's facts, as label and value.
  const facts: Array<[string, string]> = [
    ...(invoice.number ? [['Invoice number', invoice.number] as [string, string]] : []),
    ['Invoice ID', invoice.id],
    ['Status', statusNames[invoice.status] ?? invoice.status],
    ['Period', formatPeriod(invoice.periodStart, invoice.periodEnd)],
    invoice.finalizedAt ? ['Issued', day(new Date(invoice.finalizedAt))] : ['Last updated', `${minute(new Date(invoice.updatedAt))} UTC`],
    ['Currency', invoice.currency],
  ];
  let y = partiesBottom + 18;
  for (const [label, value] of facts) {
    regular(9, grey).text(label, left, y, { width: 110 });
    regular(9.5).text(value, left + 110, y, { width: width - 110 });
    y = doc.y + 3;
  }

  // The lines, with the header repeated on every page they run onto.
  const headerRow = () => {
    let x = left;
    bold(9, grey);
    for (const column of columns) {
      const heading = column.key === 'amount' && invoice.currency ? `${column.title} (${invoice.currency})` : column.title;
      doc.text(heading, x, y, { width: column.width - cellGap, align: column.align });
      x += column.width;
    }
    y = doc.y + 4;
    hrule(y);
    y += 6;
  };
  const newPage = () => {
    doc.addPage();
    y = margin;
  };
  y += 16;
  headerRow();
  const rows = invoice.lineItems.map(lineCells);
  if (rows.length === 0) {
    regular(9.5, grey).text('No charges in this period.', left, y, { width });
    y = doc.y + 6;
  }
  for (const row of rows) {
    const height = rowHeight(row);
    if (y + height > bottom()) {
      newPage();
      headerRow();
    }
    let x = left;
    for (const column of columns) {
      regular(9.5).text(row[column.key], x, y, { width: column.width - cellGap, align: column.align });
      if (column.key === 'description') for (const note of row.notes) regular(8, grey).text(note, x, doc.y + 1, { width: column.width - cellGap });
      x += column.width;
    }
    y += height;
    hrule(y - 4);
  }

  // The total, never alone at the top of a page.
  if (y + 40 > bottom()) newPage();
  y += 6;
  // The amount may be wider than its column: it has the width of all but the description.
  const labelWidth = columns[0].width;
  bold(11).text('Total', left, y, { width: labelWidth - cellGap });
  bold(11).text(invoice.currency ? `${invoice.amount} ${invoice.currency}` : invoice.amount, left + labelWidth, y, { width: width - labelWidth, align: 'right' });

  // Every page's footer, once the number of pages is known. Writing below the
  // bottom margin would start a new page, so the margin is lifted meanwhile.
  const pages = doc.bufferedPageRange();
  for (let index = 0; index < pages.count; index++) {
    doc.switchToPage(pages.start + index);
    const { margins } = doc.page;
    const bottomMargin = margins.bottom;
    margins.bottom = 0;
    const footer = `${title} · ${customer.name} · page ${index + 1} of ${pages.count}`;
    regular(8, grey).text(footer, left, doc.page.height - margin - 10, { width, align: 'center', lineBreak: false, ellipsis: true });
    margins.bottom = bottomMargin;
  }
  doc.end();
  return done;

  function rowHeight(row: ReturnType<typeof lineCells>): number {
    let tallest = 0;
    for (const column of columns) {
      regular(9.5);
      let height = doc.heightOfString(row[column.key] || ' ', { width: column.width - cellGap });
      if (column.key === 'description') {
        regular(8);
        for (const note of row.notes) height += 1 + doc.heightOfString(note, { width: column.width - cellGap });
      }
      tallest = Math.max(tallest, height);
    }
    return tallest + 10;
  }
}
