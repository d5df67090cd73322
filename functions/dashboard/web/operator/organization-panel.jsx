/**
 * One organization as the operator sees it: its name and id, then its
 * sections (API keys, plans, billing terms, invoices, alerts and entitlements,
 * limits), all read in one request and read again after each change, and its webhook
 * endpoints.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ErrorMessage } from '../components.jsx';
import { formatDay } from '../format.js';
import { AlertsEntitlementsSection, alertsEntitlementsFields } from './alerts-entitlements-section.jsx';
import { ApiKeysSection, apiKeysFields } from './api-keys-section.jsx';
import { BillingTermsSection, billingTermsFields } from './billing-terms-section.jsx';
import { InvoicesSection, invoicesFields } from './invoices-section.jsx';
import { LimitsSection, limitsFields } from './limits-section.jsx';
import { PlansSection, plansFields } from './plans-section.jsx';
import { WebhooksSection } from '../webhooks-section.jsx';

/** @typedef {import('../types').Request} Request */
/** @typedef {import('../types').OrganizationDetails} OrganizationDetails */

/**
 * The sections, in the order they show. Each names the fields of the
 * organization it reads, so a new section is a file of its own and a line here.
 */
const sections = [
  { Section: ApiKeysSection, fields: apiKeysFields },
  { Section: PlansSection, fields: plansFields },
  { Section: BillingTermsSection, fields: billingTermsFields },
  { Section: InvoicesSection, fields: invoicesFields },
  { Section: AlertsEntitlementsSection, fields: alertsEntitlementsFields },
  { Section: LimitsSection, fields: limitsFields },
];

const organizationQuery = `query Organization($id: ID!) {
  organization(id: $id) {
    id name createdAt
    ${sections.map((section) => section.fields).join('\n    ')}
  }
}`;

/**
 * @param {{ id: string, request: Request }} props
 */
export function OrganizationPanel({ id, request }) {
  const [details, setDetails] = useState(/** @type {OrganizationDetails | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [status, setStatus] = useState('');

  const reload = useCallback(async () => {
    try {
      /** @type {{ organization: OrganizationDetails }} */
      const { organization } = await request(organizationQuery, { id });
      setDetails(organization);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [id, request]);

  useEffect(() => {
    void reload();
  }, [reload]);

  if (!details) {
    return (
      <section class="card" aria-busy="true">
        {error ? <ErrorMessage error={error} title="Could not load the organization:" /> : <p class="loading">Loading…</p>}
      </section>
    );
  }

  return (
    <div class="panel" data-organization-id={details.id}>
      <section class="card" aria-labelledby="organization-title">
        <div class="card-header">
          <div>
            <h2 id="organization-title">{details.name}</h2>
            <p class="muted small">
              <span class="mono">{details.id}</span> · created {formatDay(details.createdAt)}
            </p>
          </div>
          <button class="button button-quiet" type="button" onClick={() => void reload().then(() => setStatus('Refreshed.'))}>
            Refresh
          </button>
        </div>
        <p class="status-line" role="status">
          {status}
        </p>
        <ErrorMessage error={error} />
      </section>
      {sections.map(({ Section, fields }) => (
        <Section key={fields} details={details} request={request} reload={reload} />
      ))}
      {/* Reads webhookEndpoints on its own: endpoints are not a field of the organization. */}
      <WebhooksSection request={request} organizationId={details.id} />
    </div>
  );
}
