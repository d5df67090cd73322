/**
 * An invoice's PDF, saved as a file: fetched with the session's credential
 * (see fetchInvoicePdf), then downloaded from a blob URL, which the page's
 * Content-Security-Policy need not allow as it is never loaded into the page.
 */
import { useState } from 'preact/hooks';
import { fetchInvoicePdf, GraphqlError, loadSession } from './api.js';
import { ErrorMessage } from './components.jsx';
import { formatPeriod } from './format.js';

/** @param {{ invoice: import('./types').Invoice }} props */
export function InvoicePdfButton({ invoice }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {unknown} */ (null));

  const download = async () => {
    const session = loadSession();
    if (!session) return setError(new GraphqlError('Not signed in.', 'UNAUTHENTICATED'));
    setBusy(true);
    setError(null);
    try {
      const { blob, fileName } = await fetchInvoicePdf(session, invoice.id);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = fileName;
      link.click();
      // The download has its own copy once it starts.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button
        class="button button-quiet"
        type="button"
        disabled={busy}
        aria-label={`PDF of the invoice for ${formatPeriod(invoice.periodStart, invoice.periodEnd)}`}
        data-invoice-pdf={invoice.id}
        onClick={download}
      >
        {busy ? 'PDF…' : 'PDF'}
      </button>
      <ErrorMessage error={error} title="No PDF:" />
    </>
  );
}
