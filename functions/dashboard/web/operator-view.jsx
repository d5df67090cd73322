/**
 * The operator's view: organizations, and for the one selected its API keys
 * (create, shown once; revoke), plans (set) and invoices (generate for a
 * period, finalize).
 */
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { EmptyState, ErrorMessage, Money, StatusBadge, TableScroll } from './components.jsx';
import { currentMonth, formatDay, formatDecimal, formatPeriod, isoDay } from './format.js';

/** @typedef {import('./types').Request} Request */
/** @typedef {import('./types').Organization} Organization */
/** @typedef {import('./types').OrganizationDetails} OrganizationDetails */
/** @typedef {import('./types').Plan} Plan */
/** @typedef {{ apiKey: string, organizationName: string }} NewKey */

const organizationQuery = `query Organization($id: ID!) {
  organization(id: $id) {
    id name createdAt
    apiKeys { id prefix createdAt revokedAt }
    plans { id name metric unitPrice freeQuota }
    invoices { id status periodStart periodEnd amount currency }
  }
}`;

/** @param {{ request: Request }} props */
export function OperatorView({ request }) {
  const [organizations, setOrganizations] = useState(/** @type {Organization[] | null} */ (null));
  const [selectedId, setSelectedId] = useState(/** @type {string | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const heading = useRef(/** @type {HTMLHeadingElement | null} */ (null));

  const loadOrganizations = useCallback(async () => {
    try {
      const { organizations: found } = await request(/** @type {string} */ ('{ organizations { id name createdAt } }'));
      setOrganizations(/** @type {Organization[]} */ (found));
      setError(null);
      return /** @type {Organization[]} */ (found);
    } catch (err) {
      setError(err);
      return [];
    }
  }, [request]);

  useEffect(() => {
    loadOrganizations().then((found) => {
      setSelectedId((selected) => selected ?? found[0]?.id ?? null);
      heading.current?.focus();
    });
  }, [loadOrganizations]);

  return (
    <main id="main" class="page">
      <div class="page-header">
        <div>
          <h1 ref={heading} tabIndex={-1}>
            Organizations
          </h1>
          <p class="muted">Keys, plans and invoices of every organization.</p>
        </div>
      </div>
      <ErrorMessage error={error} title="Could not load organizations:" />
      <div class="grid grid-operator">
        <aside class="card card-organizations" aria-labelledby="organization-list">
          <div class="card-header">
            <h2 id="organization-list">All organizations</h2>
            {organizations && <span class="count">{organizations.length}</span>}
          </div>
          {!organizations ? (
            <p class="loading">Loading…</p>
          ) : organizations.length === 0 ? (
            <EmptyState title="No organizations yet">Create the first one below.</EmptyState>
          ) : (
            <ul class="organization-list">
              {organizations.map((organization) => (
                <li key={organization.id}>
                  <button
                    type="button"
                    class="organization-item"
                    aria-current={organization.id === selectedId ? 'true' : undefined}
                    onClick={() => setSelectedId(organization.id)}
                  >
                    <span class="organization-name">{organization.name}</span>
                    <span class="organization-id">{organization.id}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          <CreateOrganizationForm
            request={request}
            onCreated={async (id) => {
              await loadOrganizations();
              setSelectedId(id);
            }}
          />
        </aside>
        {selectedId ? (
          <OrganizationPanel key={selectedId} id={selectedId} request={request} />
        ) : (
          <section class="card">
            <EmptyState title="No organization selected">Choose an organization to see its keys, plans and invoices.</EmptyState>
          </section>
        )}
      </div>
    </main>
  );
}

/**
 * @param {{ request: Request, onCreated: (id: string) => Promise<void> }} props
 */
function CreateOrganizationForm({ request, onCreated }) {
  const [name, setName] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [newKey, setNewKey] = useState(/** @type {NewKey | null} */ (null));
  const id = useId();

  /** @param {SubmitEvent} event */
  const create = async (event) => {
    event.preventDefault();
    try {
      /** @type {{ createOrganization: { organization: Organization, apiKey: string } }} */
      const { createOrganization } = await request('mutation($name: String!) { createOrganization(name: $name) { organization { id name } apiKey } }', { name: name.trim() });
      setError(null);
      setName('');
      setNewKey({ apiKey: createOrganization.apiKey, organizationName: createOrganization.organization.name });
      await onCreated(createOrganization.organization.id);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form class="stack-form" onSubmit={create} noValidate>
      <h3>New organization</h3>
      <div class="field">
        <label for={`${id}-name`}>Name</label>
        <div class="input-row">
          <input id={`${id}-name`} value={name} onInput={(event) => setName(event.currentTarget.value)} autocomplete="off" />
          <button class="button" type="submit">
            Create
          </button>
        </div>
      </div>
      <ErrorMessage error={error} />
      {newKey && <NewKeyNotice newKey={newKey} onDismiss={() => setNewKey(null)} />}
    </form>
  );
}

/**
 * A key as it is made: shown this once, with a copy button.
 * @param {{ newKey: NewKey, onDismiss: () => void }} props
 */
function NewKeyNotice({ newKey, onDismiss }) {
  const [copied, setCopied] = useState(/** @type {'yes' | 'no' | null} */ (null));
  const keyText = useRef(/** @type {HTMLElement | null} */ (null));
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));

  useLayoutEffect(() => box.current?.focus(), []);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(newKey.apiKey);
      setCopied('yes');
    } catch {
      // No clipboard (permissions, an old browser): select the key for a manual copy.
      const selection = window.getSelection();
      if (keyText.current && selection) selection.selectAllChildren(keyText.current);
      setCopied('no');
    }
  };

  return (
    <div class="new-key" ref={box} tabIndex={-1} role="group" aria-labelledby="new-key-title">
      <p class="new-key-title" id="new-key-title">
        New API key for {newKey.organizationName}
      </p>
      <p class="small">Copy it now: Polaris keeps only its hash, so it is shown this once.</p>
      <div class="new-key-row">
        <code class="new-key-value" ref={keyText} data-new-api-key>
          {newKey.apiKey}
        </code>
        <button class="button button-primary" type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p class="small" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'no' ? 'The clipboard is not available here: the key is selected, press Ctrl+C (⌘C) to copy it.' : ''}
      </p>
      <button class="button button-quiet" type="button" onClick={onDismiss}>
        I have stored it
      </button>
    </div>
  );
}

/**
 * @param {{ id: string, request: Request }} props
 */
function OrganizationPanel({ id, request }) {
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
      <ApiKeysSection details={details} request={request} reload={reload} />
      <PlansSection details={details} request={request} reload={reload} />
      <InvoicesSection details={details} request={request} reload={reload} />
    </div>
  );
}

/** @typedef {{ details: OrganizationDetails, request: Request, reload: () => Promise<void> }} SectionProps */

/**
 * A section's changes: each runs, then the organization is read again, and
 * the outcome shows in that section, next to what was done.
 * @param {() => Promise<void>} reload
 */
function useChanges(reload) {
  const [status, setStatus] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (null));
  /**
   * @param {() => Promise<unknown>} change
   * @param {string} done what to announce
   * @returns {Promise<boolean>} whether the change was made
   */
  const run = async (change, done) => {
    setStatus('');
    setError(null);
    try {
      await change();
    } catch (err) {
      setError(err);
      return false;
    }
    setStatus(done);
    await reload();
    return true;
  };
  return { run, status, error };
}

/** @param {{ status: string, error: unknown }} props */
function Outcome({ status, error }) {
  return (
    <>
      <p class="status-line" role="status">
        {status}
      </p>
      <ErrorMessage error={error} />
    </>
  );
}

/** @param {SectionProps} props */
function ApiKeysSection({ details, request, reload }) {
  const [newKey, setNewKey] = useState(/** @type {NewKey | null} */ (null));
  const [confirming, setConfirming] = useState(/** @type {string | null} */ (null));
  const { run, status, error } = useChanges(reload);

  const create = () =>
    run(async () => {
      /** @type {{ createApiKey: { id: string, apiKey: string } }} */
      const { createApiKey } = await request('mutation($o: ID!) { createApiKey(organizationId: $o) { id apiKey } }', { o: details.id });
      setNewKey({ apiKey: createApiKey.apiKey, organizationName: details.name });
    }, 'API key created.');

  /** @param {string} keyId @param {string} prefix */
  const revoke = (keyId, prefix) =>
    run(async () => {
      await request('mutation($id: ID!) { revokeApiKey(id: $id) }', { id: keyId });
      setConfirming(null);
    }, `Key ${prefix}… revoked. It stops working within a minute.`);

  return (
    <section class="card" aria-labelledby="api-keys">
      <div class="card-header">
        <h2 id="api-keys">API keys</h2>
        <button class="button button-primary" type="button" onClick={create}>
          Create API key
        </button>
      </div>
      <Outcome status={status} error={error} />
      {newKey && <NewKeyNotice newKey={newKey} onDismiss={() => setNewKey(null)} />}
      {details.apiKeys.length === 0 ? (
        <EmptyState title="No API keys">Create one for this organization to send usage.</EmptyState>
      ) : (
        <TableScroll label="API keys">
          <table class="table table-stack" data-api-keys>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {details.apiKeys.map((key) => (
                <tr key={key.id} data-api-key-id={key.id} data-revoked={key.revokedAt ? 'true' : 'false'}>
                  <th scope="row">
                    <code>{key.prefix}…</code>
                  </th>
                  <td data-label="Created">{formatDay(key.createdAt)}</td>
                  <td data-label="Status">{key.revokedAt ? <span class="badge badge-muted">revoked {formatDay(key.revokedAt)}</span> : <span class="badge badge-ok">active</span>}</td>
                  <td class="actions">
                    {key.revokedAt ? null : confirming === key.id ? (
                      <span class="confirm">
                        <span>Revoke {key.prefix}…?</span>
                        <button class="button button-danger" type="button" onClick={() => revoke(key.id, key.prefix)}>
                          Revoke key
                        </button>
                        <button class="button button-quiet" type="button" onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button class="button button-quiet" type="button" aria-label={`Revoke ${key.prefix}…`} onClick={() => setConfirming(key.id)}>
                        Revoke
                      </button>
                    )}
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

/** @param {SectionProps} props */
function PlansSection({ details, request, reload }) {
  const empty = { name: '', metric: '', unitPrice: '', freeQuota: '0' };
  const [form, setForm] = useState(empty);
  const { run, status, error } = useChanges(reload);
  const id = useId();

  /** @param {SubmitEvent} event */
  const save = async (event) => {
    event.preventDefault();
    const saved = await run(
      () =>
        request(
          'mutation($o: ID!, $name: String!, $metric: String!, $unitPrice: Decimal!, $freeQuota: Decimal!) { setPlan(organizationId: $o, name: $name, metric: $metric, unitPrice: $unitPrice, freeQuota: $freeQuota) { id } }',
          { o: details.id, name: form.name.trim(), metric: form.metric.trim(), unitPrice: form.unitPrice.trim(), freeQuota: form.freeQuota.trim() },
        ),
      `Plan for ${form.metric.trim()} saved.`,
    );
    if (saved) setForm(empty);
  };

  /** @param {keyof typeof empty} field @param {string} label @param {string} [hint] @param {object} [attributes] */
  const input = (field, label, hint, attributes = {}) => (
    <div class="field">
      <label for={`${id}-${field}`}>{label}</label>
      <input
        id={`${id}-${field}`}
        value={form[field]}
        onInput={(event) => setForm({ ...form, [field]: event.currentTarget.value })}
        autocomplete="off"
        spellcheck={false}
        aria-describedby={hint ? `${id}-${field}-hint` : undefined}
        {...attributes}
      />
      {hint && (
        <p class="hint" id={`${id}-${field}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );

  return (
    <section class="card" aria-labelledby="plans">
      <div class="card-header">
        <h2 id="plans">Plans</h2>
      </div>
      {details.plans.length === 0 ? (
        <EmptyState title="No plans">Usage is priced only for metrics with a plan. Set one below.</EmptyState>
      ) : (
        <TableScroll label="Plans">
          <table class="table table-stack" data-plans>
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col">Name</th>
                <th scope="col" class="numeric">
                  Unit price
                </th>
                <th scope="col" class="numeric">
                  Free quota
                </th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {details.plans.map((plan) => (
                <tr key={plan.id} data-plan-metric={plan.metric}>
                  <th scope="row">
                    <code>{plan.metric}</code>
                  </th>
                  <td data-label="Name">{plan.name}</td>
                  <td class="numeric" data-label="Unit price" data-unit-price={plan.unitPrice}>
                    {formatDecimal(plan.unitPrice)}
                  </td>
                  <td class="numeric" data-label="Free quota" data-free-quota={plan.freeQuota}>
                    {formatDecimal(plan.freeQuota)}
                  </td>
                  <td class="actions">
                    <button
                      class="button button-quiet"
                      type="button"
                      aria-label={`Edit the plan for ${plan.metric}`}
                      onClick={() => {
                        setForm({ name: plan.name, metric: plan.metric, unitPrice: plan.unitPrice, freeQuota: plan.freeQuota });
                        document.getElementById(`${id}-name`)?.focus();
                      }}
                    >
                      Edit
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <form class="grid-form" onSubmit={save} noValidate aria-labelledby={`${id}-title`}>
        <h3 id={`${id}-title`}>Set a plan</h3>
        <p class="hint grid-form-wide">One plan per metric: setting a metric’s plan again replaces it.</p>
        {input('name', 'Plan name', undefined, { placeholder: 'API calls' })}
        {input('metric', 'Metric', undefined, { placeholder: 'api_calls' })}
        {input('unitPrice', 'Unit price', 'Exact decimal, e.g. 0.002', { inputMode: 'decimal', placeholder: '0.002' })}
        {input('freeQuota', 'Free quota', 'Units free each month', { inputMode: 'decimal' })}
        <div class="grid-form-wide">
          <Outcome status={status} error={error} />
          <button class="button button-primary" type="submit">
            Save plan
          </button>
        </div>
      </form>
    </section>
  );
}

/** @param {SectionProps} props */
function InvoicesSection({ details, request, reload }) {
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
