/**
 * A stand-in for api.stripe.com that speaks the few endpoints Polaris's
 * payments service calls, as the official `stripe` package calls them:
 * form-encoded bodies, `Idempotency-Key` honoured as Stripe does (the same
 * key and request: the first answer again; the same key with another
 * request: an idempotency error), Stripe's error shapes. It records every
 * request so tests assert on what the package sent, and can fail or drop
 * the next answer to a request. Point the package at it with
 * POLARIS_STRIPE_API_URL.
 *
 * Also: Stripe-signed webhook payloads (the package's own test signer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/** A request as the fake received it. */
export interface RecordedRequest {
  method: string;
  /** Without the query string, e.g. `/v1/invoices/in_F1/finalize`. */
  path: string;
  /** The form (or query) decoded into nested objects; every value a string, as Stripe receives it. */
  body: Record<string, unknown>;
  idempotencyKey?: string;
  /** True when the answer was a replay of an earlier one with the same key. */
  replayed: boolean;
}

export type FakeObject = Record<string, unknown> & { id: string };

/** What the next matching request gets instead of its answer. */
export type Fault =
  /** Answered with this status and a Stripe error; nothing done. */
  | { status: number; type?: string; code?: string; message?: string }
  /** Done (and remembered under its key), but the connection closes before the answer: a lost response. */
  | 'drop';

interface Answer {
  status: number;
  body: unknown;
}

interface Route {
  method: string;
  pattern: RegExp;
  handle(params: string[], body: Record<string, unknown>): Answer;
}

export interface FakeStripe {
  /** `http://127.0.0.1:<port>`, for POLARIS_STRIPE_API_URL. */
  url: string;
  requests: RecordedRequest[];
  customers: Map<string, FakeObject>;
  invoices: Map<string, FakeObject>;
  invoiceItems: Map<string, FakeObject>;
  /** Requests to `method path` (path a string or pattern), in order. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[];
  /** The next request matching gets `fault` (once). */
  failNext(method: string, path: string | RegExp, fault: Fault): void;
  /** Charges of this customer are declined (402 card_declined). */
  declineCharges(customerId: string): void;
  /** A customer made directly in the account (as someone would in the Dashboard). */
  addCustomer(name: string): FakeObject;
  close(): Promise<void>;
}

class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | undefined,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

const missing = (kind: string, id: string, param = 'id') => new StripeFailure(404, 'invalid_request_error', 'resource_missing', `No such ${kind}: '${id}'`, param);

export async function startFakeStripe(): Promise<FakeStripe> {
  const requests: RecordedRequest[] = [];
  const customers = new Map<string, FakeObject>();
  const invoices = new Map<string, FakeObject>();
  const invoiceItems = new Map<string, FakeObject>();
  const declining = new Set<string>();
  const faults: { method: string; path: string | RegExp; fault: Fault }[] = [];
  /** Idempotency key → the request it was first used with and the answer given. */
  const remembered = new Map<string, { request: string; answer: Answer }>();
  let counter = 0;
  let invoiceNumber = 0;
  const newId = (prefix: string) => `${prefix}_Fake${(++counter).toString().padStart(6, '0')}`;
  const now = () => Math.floor(Date.now() / 1000);

  const customer = (id: string) => customers.get(id) ?? (() => { throw missing('customer', id, 'customer'); })();
  const invoice = (id: string) => invoices.get(id) ?? (() => { throw missing('invoice', id); })();
  const lines = (inv: FakeObject) => (inv.lines as { data: FakeObject[] }).data;
  const retotal = (inv: FakeObject) => {
    const total = lines(inv).reduce((sum, line) => sum + (line.amount as number), 0);
    Object.assign(inv, { subtotal: total, total, amount_due: Math.max(total, 0), amount_remaining: Math.max(total, 0) });
  };
  const addCustomer = (name: string, metadata: Record<string, unknown> = {}): FakeObject => {
    const created: FakeObject = { id: newId('cus'), object: 'customer', name, metadata, created: now(), livemode: false };
    customers.set(created.id, created);
    return created;
  };

  const routes: Route[] = [
    {
      method: 'POST',
      pattern: /^\/v1\/customers$/,
      handle: (_params, body) => ({ status: 200, body: addCustomer(String(body.name ?? ''), (body.metadata as Record<string, unknown>) ?? {}) }),
    },
    { method: 'GET', pattern: /^\/v1\/customers\/([^/]+)$/, handle: ([id]) => ({ status: 200, body: customer(id!) }) },
    {
      method: 'POST',
      pattern: /^\/v1\/invoices$/,
      handle: (_params, body) => {
        customer(String(body.customer));
        const created: FakeObject = {
          id: newId('in'),
          object: 'invoice',
          customer: body.customer,
          currency: body.currency,
          collection_method: body.collection_method ?? 'charge_automatically',
          days_until_due: body.days_until_due === undefined ? null : Number(body.days_until_due),
          auto_advance: body.auto_advance === 'true',
          description: body.description ?? null,
          metadata: body.metadata ?? {},
          status: 'draft',
          number: null,
          lines: { object: 'list', data: [] },
          amount_paid: 0,
          created: now(),
          livemode: false,
        };
        retotal(created);
        invoices.set(created.id, created);
        return { status: 200, body: created };
      },
    },
    { method: 'GET', pattern: /^\/v1\/invoices\/([^/]+)$/, handle: ([id]) => ({ status: 200, body: invoice(id!) }) },
    {
      method: 'POST',
      pattern: /^\/v1\/invoices\/([^/]+)$/,
      handle: ([id], body) => {
        const found = invoice(id!);
        if (body.auto_advance !== undefined) found.auto_advance = body.auto_advance === 'true';
        return { status: 200, body: found };
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/invoiceitems$/,
      handle: (_params, body) => {
        customer(String(body.customer));
        const target = body.invoice === undefined ? undefined : invoice(String(body.invoice));
        if (target && target.status !== 'draft') {
          throw new StripeFailure(400, 'invalid_request_error', 'invoice_not_editable', `You can only add invoice items to draft invoices. Invoice ${target.id} is ${target.status}.`, 'invoice');
        }
        if (!/^-?\d+$/.test(String(body.amount))) throw new StripeFailure(400, 'invalid_request_error', 'parameter_invalid_integer', 'Invalid integer: amount', 'amount');
        const period = body.period as { start: string; end: string } | undefined;
        const item: FakeObject = {
          id: newId('ii'),
          object: 'invoiceitem',
          customer: body.customer,
          invoice: target?.id ?? null,
          amount: Number(body.amount),
          currency: body.currency,
          description: body.description ?? null,
          period: period ? { start: Number(period.start), end: Number(period.end) } : null,
          metadata: body.metadata ?? {},
        };
        invoiceItems.set(item.id, item);
        if (target) {
          lines(target).push({ id: newId('il'), object: 'line_item', amount: item.amount, currency: item.currency, description: item.description, period: item.period, metadata: item.metadata });
          retotal(target);
        }
        return { status: 200, body: item };
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/invoices\/([^/]+)\/finalize$/,
      handle: ([id], body) => {
        const found = invoice(id!);
        if (found.status !== 'draft') throw new StripeFailure(400, 'invalid_request_error', 'invoice_not_editable', `This invoice is already finalized.`);
        if (body.auto_advance !== undefined) found.auto_advance = body.auto_advance === 'true';
        invoiceNumber += 1;
        // As Stripe: nothing to collect, nothing to wait for.
        Object.assign(found, { number: `FAKE-${String(invoiceNumber).padStart(4, '0')}`, status: (found.amount_due as number) > 0 ? 'open' : 'paid' });
        return { status: 200, body: found };
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/invoices\/([^/]+)\/send$/,
      handle: ([id]) => {
        const found = invoice(id!);
        if (found.status !== 'open' || found.collection_method !== 'send_invoice') {
          throw new StripeFailure(400, 'invalid_request_error', 'invoice_not_editable', 'Only open invoices with collection_method send_invoice can be sent.');
        }
        return { status: 200, body: found };
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/v1\/invoices\/([^/]+)$/,
      handle: ([id]) => {
        const found = invoice(id!);
        if (found.status !== 'draft') throw new StripeFailure(400, 'invalid_request_error', 'invoice_not_editable', 'You can only delete draft invoices.');
        invoices.delete(found.id);
        return { status: 200, body: { id: found.id, object: 'invoice', deleted: true } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/invoices\/([^/]+)\/void$/,
      handle: ([id]) => {
        const found = invoice(id!);
        if (found.status !== 'open' && found.status !== 'uncollectible') {
          throw new StripeFailure(400, 'invalid_request_error', 'invoice_not_editable', `You can only void open or uncollectible invoices. This invoice is ${found.status}.`);
        }
        Object.assign(found, { status: 'void', amount_remaining: 0 });
        return { status: 200, body: found };
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/invoices\/([^/]+)\/pay$/,
      handle: ([id]) => {
        const found = invoice(id!);
        if (found.status === 'paid') throw new StripeFailure(400, 'invalid_request_error', 'invoice_already_paid', 'Invoice is already paid');
        if (found.status !== 'open') throw new StripeFailure(400, 'invalid_request_error', 'invoice_not_editable', `Invoice is ${found.status}`);
        if (declining.has(String(found.customer))) throw new StripeFailure(402, 'card_error', 'card_declined', 'Your card was declined.');
        Object.assign(found, { status: 'paid', amount_paid: found.amount_due, amount_remaining: 0 });
        return { status: 200, body: found };
      },
    },
  ];

  const answer = (response: ServerResponse, { status, body }: Answer, replayed = false) => {
    response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${++counter}`, ...(replayed && { 'idempotent-replayed': 'true' }) });
    response.end(JSON.stringify(body));
  };

  const failure = (err: StripeFailure): Answer => ({
    status: err.status,
    body: { error: { type: err.type, ...(err.code && { code: err.code }), message: err.message, ...(err.param && { param: err.param }) } },
  });

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stripe.invalid');
    const raw = request.method === 'GET' ? url.search.slice(1) : await readBody(request);
    const body = decodeForm(raw);
    const header = request.headers['idempotency-key'];
    const idempotencyKey = Array.isArray(header) ? header[0] : header;
    const recorded: RecordedRequest = { method: request.method ?? '', path: url.pathname, body, idempotencyKey, replayed: false };
    requests.push(recorded);

    if (!String(request.headers.authorization ?? '').startsWith('Bearer sk_')) {
      return answer(response, failure(new StripeFailure(401, 'invalid_request_error', undefined, 'Invalid API Key provided')));
    }
    const fingerprint = `${recorded.method} ${recorded.path} ${raw}`;
    const earlier = idempotencyKey ? remembered.get(idempotencyKey) : undefined;
    if (earlier) {
      if (earlier.request !== fingerprint) {
        return answer(response, failure(new StripeFailure(400, 'idempotency_error', undefined, `Keys for idempotent requests can only be used with the same parameters they were first used with.`)));
      }
      recorded.replayed = true;
      return answer(response, earlier.answer, true);
    }
    const faultIndex = faults.findIndex((f) => f.method === recorded.method && (typeof f.path === 'string' ? f.path === recorded.path : f.path.test(recorded.path)));
    const fault = faultIndex >= 0 ? faults.splice(faultIndex, 1)[0]!.fault : undefined;
    if (fault && fault !== 'drop') {
      return answer(response, failure(new StripeFailure(fault.status, fault.type ?? 'api_error', fault.code, fault.message ?? 'Injected failure')));
    }

    const route = routes.find((r) => r.method === recorded.method && r.pattern.test(recorded.path));
    let result: Answer;
    try {
      if (!route) throw new StripeFailure(404, 'invalid_request_error', undefined, `Unrecognized request URL (${recorded.method}: ${recorded.path}).`);
      result = route.handle(route.pattern.exec(recorded.path)!.slice(1), body);
    } catch (err) {
      if (!(err instanceof StripeFailure)) throw err;
      result = failure(err);
    }
    // As Stripe: a request that began executing is remembered under its key, failures included.
    if (idempotencyKey && recorded.method === 'POST') remembered.set(idempotencyKey, { request: fingerprint, answer: result });
    if (fault === 'drop') return request.socket.destroy();
    answer(response, result);
  };

  const server: Server = createServer((request, response) => {
    serve(request, response).catch((err: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { type: 'api_error', message: String(err) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    customers,
    invoices,
    invoiceItems,
    requestsTo: (method, path) => requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path))),
    failNext: (method, path, fault) => faults.push({ method, path, fault }),
    declineCharges: (customerId) => declining.add(customerId),
    addCustomer: (name) => addCustomer(name),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** `a=1&b[c]=2&d[0]=x` → `{ a: '1', b: { c: '2' }, d: { 0: 'x' } }`: Stripe's bracketed form keys as nested objects. */
export function decodeForm(text: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.split(/\[|\]\[|\]/).filter((part) => part !== '');
    let target = result;
    for (const part of path.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
    target[path.at(-1)!] = value;
  }
  return result;
}

/** A Stripe event as its webhooks deliver it. */
export function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_Fake${Math.random().toString(36).slice(2, 12)}`): Record<string, unknown> {
  return { id, object: 'event', type, api_version: '2026-11-18.endive', created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, data: { object } };
}

/**
 * A webhook request body and its `Stripe-Signature` header, signed as Stripe
 * signs (with the package's own test signer); `timestamp` (seconds) makes a
 * stale one.
 */
export function signedWebhook(event: Record<string, unknown>, secret: string, timestamp?: number): { body: string; signature: string } {
  const body = JSON.stringify(event, null, 2);
  return { body, signature: Stripe.webhooks.generateTestHeaderString({ payload: body, secret, ...(timestamp !== undefined && { timestamp }) }) };
}
