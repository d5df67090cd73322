/**
 * Webhook endpoints, for the operator (one organization's) and for an
 * organization that may manage them: register one (its signing secret shown
 * once), rotate its secret, disable and enable it, and see its recent
 * deliveries with their status codes, redelivering one. An organization
 * whose credential may not manage webhooks does not see the section.
 */
import { useCallback, useEffect, useId, useState } from 'preact/hooks';
import { EmptyState, ErrorMessage, TableScroll } from './components.jsx';
import { formatDay } from './format.js';

/** @typedef {import('./types').Request} Request */
/** @typedef {import('./types').WebhookEndpoint} WebhookEndpoint */
/** @typedef {import('./types').WebhookMessage} WebhookMessage */

const endpointFields = 'id url eventTypes enabled organizationId description createdAt failingSince disabledAt';
const messageFields = 'id eventType status createdAt nextAttemptAt attempts { attemptedAt statusCode error latencyMs trigger }';

/** The event types offered when registering, with what each means. */
const eventChoices = [
  { type: 'dev.polaris.invoice.*', label: 'Invoices (created, updated, finalized, voided, paid…)' },
  { type: 'dev.polaris.usage.threshold.*', label: 'Usage alert thresholds crossed' },
  { type: 'dev.polaris.webhook.endpoint.disabled', label: 'An endpoint disabled for failing' },
];

/** @param {string} iso */
const formatInstant = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/**
 * @param {{ request: Request, organizationId?: string }} props
 *   organizationId: the operator's organization; left out, the caller's own
 */
export function WebhooksSection({ request, organizationId }) {
  const [endpoints, setEndpoints] = useState(/** @type {WebhookEndpoint[] | null} */ (null));
  const [forbidden, setForbidden] = useState(false);
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [status, setStatus] = useState('');
  const [secret, setSecret] = useState(/** @type {{ url: string, secret: string } | null} */ (null));
  const [open, setOpen] = useState(/** @type {string | null} */ (null));

  const reload = useCallback(async () => {
    try {
      /** @type {{ webhookEndpoints: WebhookEndpoint[] }} */
      const { webhookEndpoints } = await request(`query($o: ID) { webhookEndpoints(organizationId: $o) { ${endpointFields} } }`, { o: organizationId ?? null });
      setEndpoints(webhookEndpoints);
    } catch (err) {
      if (/** @type {{ code?: string }} */ (err).code === 'FORBIDDEN') setForbidden(true);
      else setError(err);
    }
  }, [request, organizationId]);

  useEffect(() => {
    void reload();
  }, [reload]);

  /** @param {() => Promise<unknown>} change @param {string} done */
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

  /** @param {string} url @param {string[]} eventTypes */
  const create = (url, eventTypes) =>
    run(async () => {
      /** @type {{ createWebhookEndpoint: { endpoint: WebhookEndpoint, secret: string } }} */
      const { createWebhookEndpoint } = await request(
        `mutation($u: String!, $t: [String!]!, $o: ID) { createWebhookEndpoint(url: $u, eventTypes: $t, organizationId: $o) { endpoint { ${endpointFields} } secret } }`,
        { u: url, t: eventTypes, o: organizationId ?? null },
      );
      setSecret({ url: createWebhookEndpoint.endpoint.url, secret: createWebhookEndpoint.secret });
    }, 'Endpoint registered.');

  /** @param {WebhookEndpoint} endpoint */
  const rotate = (endpoint) =>
    run(async () => {
      /** @type {{ rotateWebhookSecret: { secret: string } }} */
      const { rotateWebhookSecret } = await request('mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', { id: endpoint.id });
      setSecret({ url: endpoint.url, secret: rotateWebhookSecret.secret });
    }, 'New secret made; the previous one goes on signing for 24 hours.');

  /** @param {WebhookEndpoint} endpoint */
  const toggle = (endpoint) =>
    run(
      () => request('mutation($id: ID!, $e: Boolean!) { updateWebhookEndpoint(id: $id, enabled: $e) { id } }', { id: endpoint.id, e: !endpoint.enabled }),
      endpoint.enabled ? 'Endpoint disabled: its messages wait until it is enabled.' : 'Endpoint enabled.',
    );

  if (forbidden) return null;

  return (
    <section class="card" aria-labelledby="webhooks-title" data-webhooks>
      <div class="card-header">
        <h2 id="webhooks-title">Webhooks</h2>
      </div>
      <p class="status-line" role="status">
        {status}
      </p>
      <ErrorMessage error={error} />
      {secret && <SecretNotice url={secret.url} secret={secret.secret} onDismiss={() => setSecret(null)} />}
      {endpoints === null ? (
        <p class="loading">Loading…</p>
      ) : endpoints.length === 0 ? (
        <EmptyState title="No webhook endpoints">Register one to receive invoice and usage alert events, signed.</EmptyState>
      ) : (
        <TableScroll label="Webhook endpoints">
          <table class="table table-stack" data-webhook-endpoints>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((endpoint) => (
                <tr key={endpoint.id} data-webhook-endpoint-id={endpoint.id} data-enabled={endpoint.enabled ? 'true' : 'false'}>
                  <th scope="row">
                    <code class="mono">{endpoint.url}</code>
                    {endpoint.organizationId === null && <span class="muted small"> every organization</span>}
                  </th>
                  <td data-label="Events">
                    {endpoint.eventTypes.map((type) => (
                      <code key={type} class="small">
                        {type}{' '}
                      </code>
                    ))}
                  </td>
                  <td data-label="Status">
                    <EndpointStatus endpoint={endpoint} />
                  </td>
                  <td class="actions">
                    <button class="button button-quiet" type="button" onClick={() => setOpen(open === endpoint.id ? null : endpoint.id)} aria-expanded={open === endpoint.id}>
                      Deliveries
                    </button>
                    <button class="button button-quiet" type="button" onClick={() => rotate(endpoint)}>
                      Rotate secret
                    </button>
                    <button class="button button-quiet" type="button" onClick={() => toggle(endpoint)}>
                      {endpoint.enabled ? 'Disable' : 'Enable'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {open && <DeliveriesList key={open} request={request} endpointId={open} />}
      <CreateEndpointForm onCreate={create} />
    </section>
  );
}

/** @param {{ endpoint: WebhookEndpoint }} props */
function EndpointStatus({ endpoint }) {
  if (!endpoint.enabled) return <span class="badge badge-muted">{endpoint.disabledAt ? `disabled ${formatDay(endpoint.disabledAt)} (failing)` : 'disabled'}</span>;
  if (endpoint.failingSince) return <span class="badge badge-draft">failing since {formatInstant(endpoint.failingSince)}</span>;
  return <span class="badge badge-ok">active</span>;
}

/**
 * The secret as it is made: shown this once, with a copy button.
 * @param {{ url: string, secret: string, onDismiss: () => void }} props
 */
function SecretNotice({ url, secret, onDismiss }) {
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('The clipboard is not available here: select the secret and copy it.');
    }
  };
  return (
    <div class="new-key" role="group" aria-labelledby="webhook-secret-title">
      <p class="new-key-title" id="webhook-secret-title">
        Signing secret for {url}
      </p>
      <p class="small">Copy it now: it is shown this once. Your receiver verifies each delivery's webhook-signature with it.</p>
      <div class="new-key-row">
        <code class="new-key-value" data-webhook-secret>
          {secret}
        </code>
        <button class="button button-primary" type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p class="small" role="status">
        {copied}
      </p>
      <button class="button button-quiet" type="button" onClick={onDismiss}>
        I have stored it
      </button>
    </div>
  );
}

/** @param {{ onCreate: (url: string, eventTypes: string[]) => Promise<boolean> }} props */
function CreateEndpointForm({ onCreate }) {
  const [url, setUrl] = useState('');
  const [chosen, setChosen] = useState(/** @type {string[]} */ ([eventChoices[0]?.type ?? '']));
  const id = useId();

  /** @param {SubmitEvent} event */
  const submit = async (event) => {
    event.preventDefault();
    if (await onCreate(url.trim(), chosen)) setUrl('');
  };

  /** @param {string} type @param {boolean} on */
  const choose = (type, on) => setChosen(on ? [...chosen, type] : chosen.filter((other) => other !== type));

  return (
    <form class="stack-form" onSubmit={submit} noValidate data-webhook-form>
      <h3>Register an endpoint</h3>
      <fieldset class="field">
        <legend>Events</legend>
        {eventChoices.map((choice) => (
          <label key={choice.type} class="small">
            <input type="checkbox" checked={chosen.includes(choice.type)} onChange={(event) => choose(choice.type, event.currentTarget.checked)} />
            {choice.label} <code>{choice.type}</code>
          </label>
        ))}
      </fieldset>
      <div class="field">
        <label for={`${id}-url`}>URL</label>
        <div class="input-row">
          <input id={`${id}-url`} type="url" placeholder="https://example.com/hooks" value={url} onInput={(event) => setUrl(event.currentTarget.value)} autocomplete="off" />
          <button class="button" type="submit">
            Register
          </button>
        </div>
      </div>
    </form>
  );
}

/**
 * An endpoint's most recent messages, each with its last attempt's status
 * code; a message can be sent again.
 * @param {{ request: Request, endpointId: string }} props
 */
function DeliveriesList({ request, endpointId }) {
  const [messages, setMessages] = useState(/** @type {WebhookMessage[] | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [status, setStatus] = useState('');

  const load = useCallback(async () => {
    try {
      /** @type {{ webhookDeliveries: WebhookMessage[] }} */
      const { webhookDeliveries } = await request(`query($e: ID!) { webhookDeliveries(endpointId: $e, limit: 20) { ${messageFields} } }`, { e: endpointId });
      setMessages(webhookDeliveries);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [request, endpointId]);

  useEffect(() => {
    void load();
  }, [load]);

  /** @param {WebhookMessage} message */
  const redeliver = async (message) => {
    setStatus('');
    try {
      /** @type {{ redeliverWebhook: WebhookMessage }} */
      const { redeliverWebhook } = await request(`mutation($m: ID!) { redeliverWebhook(messageId: $m) { ${messageFields} } }`, { m: message.id });
      const last = redeliverWebhook.attempts.at(-1);
      setStatus(`Sent ${message.id} again: ${last?.statusCode ?? last?.error ?? 'no answer'}.`);
      await load();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div class="deliveries" data-webhook-deliveries={endpointId}>
      <h3>Recent deliveries</h3>
      <p class="status-line" role="status">
        {status}
      </p>
      <ErrorMessage error={error} />
      {messages === null ? (
        <p class="loading">Loading…</p>
      ) : messages.length === 0 ? (
        <EmptyState title="Nothing sent yet">Messages appear here as events reach this endpoint.</EmptyState>
      ) : (
        <TableScroll label="Recent deliveries">
          <table class="table table-stack">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Last attempt</th>
                <th scope="col">Attempts</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {messages.map((message) => {
                const last = message.attempts.at(-1);
                return (
                  <tr key={message.id} data-webhook-message-id={message.id}>
                    <th scope="row">
                      <code class="small">{message.eventType}</code>
                      <div class="muted small mono">{message.id}</div>
                    </th>
                    <td data-label="Status">
                      <span class={`badge ${message.status === 'DELIVERED' ? 'badge-ok' : message.status === 'PENDING' ? 'badge-draft' : 'badge-muted'}`}>{message.status.toLowerCase()}</span>
                      {message.nextAttemptAt && <div class="muted small">next {formatInstant(message.nextAttemptAt)}</div>}
                    </td>
                    <td data-label="Last attempt" data-status-code={last?.statusCode ?? ''}>
                      {last ? (
                        <>
                          <strong>{last.statusCode ?? last.error}</strong> <span class="muted small">{last.latencyMs} ms</span>
                          <div class="muted small">{formatInstant(last.attemptedAt)}</div>
                        </>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td data-label="Attempts">{message.attempts.length}</td>
                    <td class="actions">
                      <button class="button button-quiet" type="button" onClick={() => redeliver(message)}>
                        Redeliver
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}
