/**
 * The dashboard in a real browser: Debian's Chromium, driven by
 * playwright-core, against `npm start`. The figures the page shows are
 * compared with what GraphQL answers; a screenshot of each step goes to
 * test-artifacts/dashboard/.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, launchChromium, screenshotter, waitForAttribute } from './support/browser.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { deleteStream } from './support/nats.js';
import { oidcTestClientId, startOidcProvider, type OidcTestProvider } from './support/oidc-provider.js';
import { graphqlCall, startPolaris, type PolarisProcess } from './support/polaris-process.js';
import { findFreePort } from '../scripts/local/index.js';

const suffix = randomBytes(4).toString('hex');
const stateDir = mkdtempSync(join(tmpdir(), 'polaris-dashboard-'));
const stream = `TEST_DASHBOARD_${suffix}`;
const screenshot = screenshotter('test-artifacts/dashboard');
const desktop = { viewport: { width: 1280, height: 900 }, locale: 'en-US' };
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US' };

let browser: Browser;
let db: TestDatabase;
let polaris: PolarisProcess;
let identityProvider: OidcTestProvider;
let organizationId: string;
let apiKey: string;
const contexts: BrowserContext[] = [];
/** The page's type check, started with the file: its own process, run while Polaris starts and the browser waits. */
let webTypecheck: Promise<{ output: string; failed: boolean }>;

const operator = () => ({ authorization: `Bearer ${polaris.adminToken}` });
const tenant = () => ({ 'x-api-key': apiKey });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function gql(query: string, variables: object, headers: Record<string, string>): Promise<any> {
  const { data, errors } = await graphqlCall(polaris.http, query, variables, headers);
  if (errors) throw new Error(`GraphQL: ${JSON.stringify(errors)}`);
  return data;
}

async function ingest(events: object[]): Promise<void> {
  const response = await fetch(`${polaris.http}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(events),
  });
  const body = (await response.json()) as { results: { status: string }[] };
  expect(response.ok, JSON.stringify(body)).toBe(true);
  expect(body.results.every((result) => result.status === 'accepted'), JSON.stringify(body)).toBe(true);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function newPage(options: object = desktop): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext(options);
  contexts.push(context);
  const page = await context.newPage();
  return { page, errors: collectPageErrors(page) };
}

let operatorTab: { page: Page; errors: string[] } | undefined;

/**
 * The operator's tab, signed in once for the file: each test opens the page
 * afresh in it (the session is in the tab's sessionStorage), at the list of
 * organizations, as a new sign-in lands.
 */
async function operatorPage(): Promise<{ page: Page; errors: string[] }> {
  if (!operatorTab) {
    operatorTab = await newPage();
    await operatorTab.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: polaris.http });
    await signIn(operatorTab.page, 'operator', polaris.adminToken);
  } else {
    await operatorTab.page.goto(`${polaris.http}/dashboard`);
    await operatorTab.page.getByRole('heading', { level: 1, name: 'Organizations' }).waitFor();
  }
  return operatorTab;
}

async function signIn(page: Page, role: 'organization' | 'operator', credential: string): Promise<void> {
  await page.goto(`${polaris.http}/dashboard`);
  await page.getByRole('button', { name: 'Use an API key or token instead' }).click();
  if (role === 'operator') await page.getByLabel('Operator').check();
  await page.getByLabel(role === 'operator' ? 'Admin token' : 'API key or JWT').fill(credential);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: role === 'operator' ? 'Organizations' : 'Acme Rockets' }).waitFor();
}

/** Nothing wider than the screen: the page never scrolls sideways. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const [scrollWidth, innerWidth] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

const draftAmount = (page: Page): Locator => page.locator('[data-current-invoice] .amount-big');

/**
 * Clicks an invoice's PDF button and returns the file the browser saved,
 * after checking the request went out with the credential and came back a PDF.
 */
async function downloadPdf(page: Page, invoiceId: string): Promise<{ fileName: string; contents: Buffer }> {
  const [download, response] = await Promise.all([
    page.waitForEvent('download'),
    page.waitForResponse((answer) => answer.url().endsWith(`/invoices/${invoiceId}.pdf`)),
    page.locator(`[data-invoice-pdf="${invoiceId}"]`).first().click(),
  ]);
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toBe('application/pdf');
  const sent = await response.request().allHeaders();
  expect(sent['x-api-key'] ?? sent.authorization).toBeTruthy();
  return { fileName: download.suggestedFilename(), contents: readFileSync((await download.path())!) };
}

/** UTC days of this month up to today, the last five at most: `YYYY-MM-DD`. */
function recentDaysOfThisMonth(): string[] {
  const today = new Date();
  const days: string[] = [];
  for (let back = 5; back >= 0; back--) {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - back));
    if (day.getUTCMonth() === today.getUTCMonth()) days.push(day.toISOString().slice(0, 10));
  }
  return days;
}

beforeAll(async () => {
  webTypecheck = new Promise((resolve) => {
    execFile(join(process.cwd(), 'node_modules/.bin/tsc'), ['-p', 'functions/dashboard/web'], { encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ output: stdout + stderr, failed: error !== null }),
    );
  });
  // First, so a machine without Chromium fails at once with what to install.
  browser = await launchChromium();
  db = await createTestDatabase({ migrate: false });
  // The identity provider's address is set before Polaris starts; the provider, which needs Polaris's callback, starts after.
  const providerPort = await findFreePort();
  const providerSecret = randomBytes(16).toString('hex');
  polaris = await startPolaris({
    POLARIS_OIDC_ISSUER: `http://127.0.0.1:${providerPort}`,
    POLARIS_OIDC_CLIENT_ID: oidcTestClientId,
    POLARIS_OIDC_CLIENT_SECRET: providerSecret,
    POLARIS_OIDC_PROVIDER_NAME: 'Test SSO',
    DATABASE_URL: db.url,
    POLARIS_STATE_DIR: stateDir,
    POLARIS_NATS_STREAM: stream,
    POLARIS_NATS_SUBJECT_PREFIX: `test.dashboard.${suffix}`,
    POLARIS_AGGREGATION_INTERVAL: '1',
    // Ingest knows a meter the operator defines at once, instead of within the default 5 s.
    POLARIS_METER_CACHE_SECONDS: '0',
    // The operator finalizes last month's invoice by hand; the scheduled close (after each aggregation) must not first.
    POLARIS_INVOICE_GRACE_HOURS: '8784',
  });

  // npm start's default callback: this machine's HTTP port.
  identityProvider = await startOidcProvider({
    port: providerPort,
    clientSecret: providerSecret,
    redirectUris: [`${polaris.http}/auth/oidc/callback`],
    accounts: [
      { id: 'ada', email: 'ada@example.com', emailVerified: true, name: 'Ada' },
      { id: 'stranger', email: 'stranger@example.com', emailVerified: true },
    ],
  });

  const created = await gql('mutation { createOrganization(name: "Acme Rockets") { organization { id } apiKey } }', {}, operator());
  organizationId = created.createOrganization.organization.id;
  apiKey = created.createOrganization.apiKey;
  const setPlan = 'mutation($o: ID!, $n: String!, $m: String!, $p: Decimal!, $q: Decimal!) { setPlan(organizationId: $o, name: $n, metric: $m, unitPrice: $p, freeQuota: $q) { id } }';
  await gql(setPlan, { o: organizationId, n: 'API calls', m: 'api_calls', p: '0.002', q: '100' }, operator());
  await gql(setPlan, { o: organizationId, n: 'Storage', m: 'storage_gb', p: '0.25', q: '10' }, operator());

  // A few days of usage; today's events carry no timestamp (the time of receipt).
  const days = recentDaysOfThisMonth();
  const calls = [120, 340, 90, 410, 260, 180];
  const storage = [12.5, 13.25, 13.75, 14, 15.5, 16.25];
  const events = days.flatMap((day, index) => {
    const at = index === days.length - 1 ? {} : { timestamp: `${day}T12:00:00Z` };
    return [
      { metric: 'api_calls', quantity: calls[index]!, idempotency_key: `calls-${day}`, ...at },
      { metric: 'storage_gb', quantity: storage[index]!, idempotency_key: `storage-${day}`, ...at },
    ];
  });
  // A metric without a plan: the page shows it once the viewer adds its name.
  await ingest([...events, { metric: 'exports', quantity: 7, idempotency_key: 'exports-1' }]);
  const sent = { api_calls: calls.slice(0, days.length).reduce((a, b) => a + b, 0), storage_gb: storage.slice(0, days.length).reduce((a, b) => a + b, 0) };
  await waitFor('the draft invoice to price every event', async () => {
    const { invoices } = await gql('{ invoices { lineItems { metric quantity } } }', {}, tenant());
    const lines: { metric: string; quantity: string }[] = invoices[0]?.lineItems ?? [];
    const priced = (metric: keyof typeof sent) => Number(lines.find((line) => line.metric === metric)?.quantity) === sent[metric];
    return priced('api_calls') && priced('storage_gb') ? true : undefined;
  });
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await polaris?.stop();
  await identityProvider?.close();
  await deleteStream('nats://127.0.0.1:4222', stream);
  await db?.drop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('GET /dashboard', () => {
  it('serves the page with its content type, cache policy and a same-origin Content-Security-Policy', async () => {
    const response = await fetch(`${polaris.http}/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');

    const html = await response.text();
    const script = /src="(\/dashboard\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    const stylesheet = /href="(\/dashboard\/app-[A-Z0-9]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(stylesheet).toBeDefined();
    const js = await fetch(`${polaris.http}${script}`, { headers: { 'accept-encoding': 'br' } });
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-encoding')).toBe('br');
    const css = await fetch(`${polaris.http}${stylesheet}`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');

    const etag = response.headers.get('etag')!;
    expect((await fetch(`${polaris.http}/dashboard`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${polaris.http}/dashboard/nope.js`)).status).toBe(404);
    expect((await fetch(`${polaris.http}/dashboard/index.html`)).status).toBe(404);
  });

  it("type-checks the page's scripts against the DOM (functions/dashboard/web/tsconfig.json)", async () => {
    const result = await webTypecheck;
    expect(result.output).toBe('');
    expect(result.failed).toBe(false);
  }, 60_000);
});

describe('the dashboard in Chromium', () => {
  let organizationPage: Page;
  let organizationErrors: string[];

  it('shows an organization its daily usage and its draft invoice, as GraphQL answers them', async () => {
    ({ page: organizationPage, errors: organizationErrors } = await newPage());
    const page = organizationPage;
    await signIn(page, 'organization', apiKey);

    for (const metric of ['api_calls', 'storage_gb']) {
      const { usage } = await gql('query($m: String!) { usage(metric: $m) { total periodStart } }', { m: metric }, tenant());
      expect(usage.length).toBeGreaterThan(0);
      for (const day of usage as { total: number; periodStart: string }[]) {
        await waitForAttribute(page.locator(`[data-metric="${metric}"][data-day="${day.periodStart.slice(0, 10)}"]`), 'data-total', String(day.total));
      }
      const month = (usage as { total: number }[]).reduce((sum, day) => sum + day.total, 0);
      await waitForAttribute(page.locator(`[data-metric-total="${metric}"]`), 'data-value', String(month));
    }
    const { invoices } = await gql('{ invoices { amount currency status } }', {}, tenant());
    expect(invoices[0]).toMatchObject({ status: 'draft', currency: 'USD' });
    await waitForAttribute(draftAmount(page), 'data-amount', invoices[0].amount);
    expect(await draftAmount(page).textContent()).toBe(`$${invoices[0].amount}`);
    expect(await page.locator('.chart canvas').count()).toBeGreaterThan(0);
    await screenshot(page, 'organization');

    // The draft as a PDF, fetched with the session's key and saved as a file.
    const { invoices: [draft] } = await gql('{ invoices { id } }', {}, tenant());
    const pdf = await downloadPdf(page, draft.id);
    expect(pdf.fileName).toBe(`${draft.id}.pdf`);
    expect(pdf.contents.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    // A metric's figure shows or hides it in the chart, so a small one can be read beside a large one.
    const callsToggle = page.locator('[data-metric-total="api_calls"] button');
    await callsToggle.click();
    await waitForAttribute(callsToggle, 'aria-pressed', 'false');
    await screenshot(page, 'organization-one-metric');
    await callsToggle.press('Enter');
    await waitForAttribute(callsToggle, 'aria-pressed', 'true');

    // A metric no plan names shows once its name is added.
    expect(await page.locator('[data-metric-total="exports"]').count()).toBe(0);
    await page.getByLabel('Follow another metric').fill('exports');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const exports = await waitFor('the unplanned usage to be aggregated', async () => {
      const { usage } = await gql('{ usage(metric: "exports") { total } }', {}, tenant());
      return usage.length > 0 ? (usage as { total: number }[]) : undefined;
    });
    await waitForAttribute(page.locator('[data-metric-total="exports"]'), 'data-value', String(exports.reduce((sum, day) => sum + day.total, 0)));
    await page.getByRole('button', { name: 'Stop following exports' }).click();
    await page.locator('[data-metric-total="exports"]').waitFor({ state: 'detached' });

    // The credential lives in this tab's sessionStorage only, never in the address.
    expect(page.url()).not.toContain(apiKey);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.evaluate('sessionStorage.getItem("polaris.dashboard.session")')).toContain(apiKey);
    expect(organizationErrors).toEqual([]);
  }, 60_000);

  it('follows new usage: the draft amount changes without a reload', async () => {
    const page = organizationPage;
    await page.evaluate('window.notReloaded = true');
    const before = await draftAmount(page).getAttribute('data-amount');
    await ingest([{ metric: 'api_calls', quantity: 2500, idempotency_key: 'more-calls' }]);
    const after = await waitFor("GraphQL's draft amount to change", async () => {
      const { invoices } = await gql('{ invoices { amount } }', {}, tenant());
      return invoices[0].amount !== before ? (invoices[0].amount as string) : undefined;
    });
    await waitForAttribute(draftAmount(page), 'data-amount', after, 20_000);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await screenshot(page, 'organization-updated');
    expect(organizationErrors).toEqual([]);
  }, 60_000);

  it('lets the operator create a key (shown once), set plans and billing terms, revoke a key, and generate, finalize and void an invoice', async () => {
    const { page, errors } = await operatorPage();
    await page.getByRole('button', { name: /Acme Rockets/ }).click();
    await page.getByRole('heading', { level: 2, name: 'Acme Rockets' }).waitFor();
    await screenshot(page, 'operator');

    // A new key: shown once, copyable, and it works.
    await page.getByRole('button', { name: 'Create API key' }).click();
    const shown = page.locator('[data-new-api-key]');
    await shown.waitFor();
    const newKey = (await shown.textContent())!.trim();
    expect(newKey).toMatch(/^pol_\S{40}$/);
    expect((await gql('{ me { id } }', {}, { 'x-api-key': newKey })).me.id).toBe(organizationId);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(newKey);
    await screenshot(page, 'operator-new-key');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.content()).not.toContain(newKey);

    // A plan.
    await page.getByLabel('Plan name').fill('Events');
    await page.getByLabel('Metric', { exact: true }).fill('events');
    await page.getByLabel('Unit price').fill('0.0005');
    await page.getByLabel('Free quota').fill('1000');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByText('Plan for events saved.').waitFor();
    const { organization } = await gql('query($id: ID!) { organization(id: $id) { plans { metric unitPrice freeQuota } apiKeys { id prefix revokedAt } } }', { id: organizationId }, operator());
    const plan = organization.plans.find((p: { metric: string }) => p.metric === 'events');
    expect(plan).toMatchObject({ unitPrice: '0.0005' });
    await waitForAttribute(page.locator('[data-plan-metric="events"] [data-unit-price]'), 'data-unit-price', plan.unitPrice);
    await waitForAttribute(page.locator('[data-plan-metric="events"] [data-free-quota]'), 'data-free-quota', plan.freeQuota);

    // A graduated price for it from next month on: in the history, not yet in effect.
    const now = new Date();
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    await page.getByLabel('Plan name').fill('Events');
    await page.getByLabel('Metric', { exact: true }).fill('events');
    await page.getByLabel('Pricing model').selectOption('GRADUATED');
    await page.getByLabel('Tier 1: up to').fill('1000');
    await page.getByLabel('Tier 1: unit price').fill('0');
    await page.getByLabel('Tier 2: unit price').fill('0.001');
    await page.getByRole('button', { name: 'Add a tier' }).click();
    await page.getByRole('button', { name: 'Remove tier 3' }).click();
    await page.getByLabel('Effective from').fill(nextMonth.toISOString().slice(0, 10));
    await screenshot(page, 'operator-plan-form-tiers');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByText('Plan for events saved.').waitFor();
    const history = (await gql('query($id: ID!) { organization(id: $id) { plans { metric model } planHistory { id metric model tiers { upTo unitPrice } effectiveFrom } } }', { id: organizationId }, operator()))
      .organization;
    const graduated = history.planHistory.find((p: { metric: string; model: string }) => p.metric === 'events' && p.model === 'GRADUATED');
    expect(graduated).toMatchObject({ effectiveFrom: nextMonth.toISOString(), tiers: [{ upTo: '1000', unitPrice: '0' }, { upTo: null, unitPrice: '0.001' }] });
    expect(history.plans).toContainEqual({ metric: 'events', model: 'PER_UNIT' });
    await waitForAttribute(page.locator('[data-plan-metric="events"]'), 'data-model', 'PER_UNIT');
    await page.locator('[data-plan-history] summary').click();
    await waitForAttribute(page.locator(`[data-plan-version="${graduated.id}"]`), 'data-state', 'upcoming');

    // Billing terms: a recurring fee every period.
    await page.getByLabel('Fee name').fill('Platform');
    await page.getByLabel('Recurring fee').fill('5');
    await page.getByRole('button', { name: 'Save terms' }).click();
    await page.getByText('Billing terms saved.').waitFor();
    await waitForAttribute(page.locator('[data-billing-terms]'), 'data-recurring-fee', '5');
    expect((await gql('{ me { billingTerms { recurringFee recurringFeeName } } }', {}, tenant())).me.billingTerms).toEqual({ recurringFee: '5', recurringFeeName: 'Platform' });

    // Revoking the new key, after confirming.
    const key = organization.apiKeys.find((k: { prefix: string }) => newKey.startsWith(k.prefix));
    await page.getByRole('button', { name: `Revoke ${key.prefix}…` }).click();
    await page.getByRole('button', { name: 'Revoke key' }).click();
    await waitForAttribute(page.locator(`[data-api-key-id="${key.id}"]`), 'data-revoked', 'true');
    const keys = (await gql('query($id: ID!) { organization(id: $id) { apiKeys { id revokedAt } } }', { id: organizationId }, operator())).organization.apiKeys;
    expect(keys.find((k: { id: string }) => k.id === key.id).revokedAt).not.toBeNull();

    // Last month's invoice (API calls late in the month, at a price from then on): generated, finalized and numbered, then voided with a reason.
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    const thisMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const setOldPlan = 'mutation($o: ID!, $from: String!) { setPlan(organizationId: $o, name: "API calls", metric: "api_calls", unitPrice: "0.002", effectiveFrom: $from) { id } }';
    await gql(setOldPlan, { o: organizationId, from: lastMonth.toISOString() }, operator());
    await ingest([{ metric: 'api_calls', quantity: 1000, idempotency_key: 'calls-last-month', timestamp: new Date(thisMonth.getTime() - 3_600_000).toISOString() }]);
    await waitFor('last month’s API calls to be aggregated', async () => {
      const usage = 'query($o: ID!, $from: String!, $to: String!) { organization(id: $o) { usage(metric: "api_calls", from: $from, to: $to, windowSize: MONTH) { value } } }';
      const answer = await gql(usage, { o: organizationId, from: lastMonth.toISOString(), to: thisMonth.toISOString() }, operator());
      return answer.organization.usage[0]?.value === '1000' ? true : undefined;
    });
    await page.getByLabel('From (UTC, included)').fill(lastMonth.toISOString().slice(0, 10));
    await page.getByLabel('To (UTC, excluded)').fill(thisMonth.toISOString().slice(0, 10));
    await page.getByRole('button', { name: 'Generate invoice' }).click();
    await page.getByText('Invoice generated.').waitFor();
    const generated = (await gql('{ invoices { id periodStart status } }', {}, tenant())).invoices.find(
      (invoice: { periodStart: string }) => invoice.periodStart === lastMonth.toISOString(),
    );
    expect(generated).toMatchObject({ status: 'draft' });
    const monthName = lastMonth.toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
    await page.getByRole('button', { name: `Finalize the invoice for ${monthName}` }).click();
    await page.getByRole('button', { name: 'Finalize', exact: true }).click();
    await waitForAttribute(page.locator(`[data-invoice-id="${generated.id}"]`), 'data-status', 'finalized');
    const { number } = (await gql('{ invoices { id number } }', {}, tenant())).invoices.find((invoice: { id: string }) => invoice.id === generated.id);
    expect(number).toEqual(expect.any(String));
    await waitForAttribute(page.locator(`[data-invoice-id="${generated.id}"]`), 'data-number', number);
    await page.getByRole('button', { name: `Void invoice ${number} for ${monthName}` }).click();
    await page.getByLabel('Reason for voiding').fill('Calls counted twice');
    await page.getByRole('button', { name: 'Void', exact: true }).click();
    await waitForAttribute(page.locator(`[data-invoice-id="${generated.id}"]`), 'data-status', 'void');
    await page.locator(`[data-invoice-id="${generated.id}"] [data-void-reason]`).getByText('Calls counted twice').waitFor();
    // This month's draft credits it, naming last month.
    const current = (await gql('{ invoices { id periodStart lineItems { kind amount forPeriodStart } } }', {}, tenant())).invoices.find(
      (invoice: { periodStart: string }) => invoice.periodStart === thisMonth.toISOString(),
    );
    expect(current.lineItems).toContainEqual({ kind: 'credit', amount: '-2.00', forPeriodStart: lastMonth.toISOString() });
    await page.locator(`[data-invoice-lines="${current.id}"] summary`).click();
    await page.locator(`[data-invoice-lines="${current.id}"] [data-kind="credit"]`).getByText(`For ${monthName}`).waitFor();
    await screenshot(page, 'operator-after-changes');

    // The operator's PDF of it, named by its number now that it has one.
    const pdf = await downloadPdf(page, generated.id);
    expect(pdf.fileName).toMatch(/^INV-\d+\.pdf$/);
    expect(pdf.contents.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(errors).toEqual([]);
  }, 90_000);

  it('lets the operator define a meter, and shows an organization its metric by window and group', async () => {
    const { page, errors } = await operatorPage();
    await page.getByLabel('Metered metric').fill('active_users');
    await page.getByLabel('Meter name').fill('Active users');
    await page.getByLabel('Aggregation').selectOption('UNIQUE_COUNT');
    await page.getByLabel('Value property').fill('user_id');
    await page.getByLabel('Group by').fill('region, tier');
    await page.getByRole('button', { name: 'Save meter' }).click();
    await page.getByText('Meter for active_users saved.').waitFor();
    const meter = page.locator('[data-meter-metric="active_users"]');
    await waitForAttribute(meter, 'data-aggregation', 'UNIQUE_COUNT');
    expect(await meter.locator('[data-group-by]').getAttribute('data-group-by')).toBe('region,tier');
    await screenshot(page, 'operator-meters');
    expect(errors).toEqual([]);

    // Below the meters, the raw events kept: this month among them, every event kept (no retention here).
    const thisMonth = new Date().toISOString().slice(0, 7);
    await page.locator(`[data-usage-storage] [data-event-month="${thisMonth}"]`).waitFor();
    expect(await page.locator('[data-usage-storage] [data-retention-months]').getAttribute('data-retention-months')).toBe('0');
    await page.locator('[data-usage-storage]').getByText('Every event is kept').waitFor();

    // Seats by user: two in eu (u1 twice), one in us. Ingest knows a new meter within POLARIS_METER_CACHE_SECONDS
    // (until then a seat without a quantity is refused, and nothing of it stored).
    const seats = [
      { metric: 'active_users', properties: { user_id: 'u1', region: 'eu' }, idempotency_key: 'seat-1' },
      { metric: 'active_users', properties: { user_id: 'u2', region: 'eu' }, idempotency_key: 'seat-2' },
      { metric: 'active_users', properties: { user_id: 'u1', region: 'eu' }, idempotency_key: 'seat-3' },
      { metric: 'active_users', properties: { user_id: 'u3', region: 'us' }, idempotency_key: 'seat-4' },
    ];
    await waitFor('ingest to know the meter', async () => {
      const response = await fetch(`${polaris.http}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', ...tenant() }, body: JSON.stringify(seats) });
      const { results } = (await response.json()) as { results: { status: string }[] };
      return results.every((result) => result.status === 'accepted') ? true : undefined;
    });
    const byRegion = await waitFor('the seats to be aggregated by region', async () => {
      const { usage } = await gql('{ usage(metric: "active_users", groupBy: ["region"]) { periodStart value groups { value } } }', {}, tenant());
      return usage.length === 2 ? (usage as { periodStart: string; value: string; groups: { value: string }[] }[]) : undefined;
    });

    const organization = await newPage();
    await signIn(organization.page, 'organization', apiKey);
    await organization.page.getByLabel('Follow another metric').fill('active_users');
    await organization.page.getByRole('button', { name: 'Add', exact: true }).click();
    const card = organization.page.locator('[data-meter-card]');
    await card.getByLabel('Metric', { exact: true }).selectOption('active_users');
    await waitForAttribute(card, 'data-aggregation', 'UNIQUE_COUNT');
    await card.getByLabel('Group by', { exact: true }).selectOption('region');
    for (const row of byRegion) {
      await waitForAttribute(card.locator(`td[data-group="${row.groups[0]!.value}"][data-window="${row.periodStart}"]`), 'data-value', row.value);
    }
    expect(byRegion.map((row) => [row.groups[0]!.value, row.value]).sort()).toEqual([
      ['eu', '2'],
      ['us', '1'],
    ]);
    expect(await card.locator('[data-meter-chart="bars"] canvas').count()).toBeGreaterThan(0);
    // Hours of another zone: the windows change, the values stay theirs.
    await card.getByLabel('Window', { exact: true }).selectOption('HOUR');
    await card.getByLabel('Time zone').selectOption('Asia/Kathmandu');
    await card.locator('[data-meter-table] td[data-group="eu"][data-value]').first().waitFor();
    await screenshot(organization.page, 'organization-meter');
    expect(organization.errors).toEqual([]);
  }, 90_000);

  it('lets the operator make usage alerts, set entitlements and limits, and shows the organization the thresholds reached and its limits', async () => {
    const { page, errors } = await operatorPage();
    await page.getByRole('button', { name: /Acme Rockets/ }).click();
    await page.getByRole('heading', { level: 2, name: 'Acme Rockets' }).waitFor();
    // This month's API calls so far: half of twice that is reached as the alert is made, and so is a limit of that many.
    const { usage } = await gql('{ usage(metric: "api_calls", windowSize: MONTH) { value } }', {}, tenant());
    const month = BigInt(usage[0].value);

    await page.getByLabel('Metric watched').fill('api_calls');
    await page.getByLabel('Budget', { exact: true }).fill(String(2n * month));
    await page.getByLabel('Warn at (% of the budget)').fill('50, 100');
    await page.getByRole('button', { name: 'Create alert' }).click();
    await page.getByText('Usage alert created.').waitFor();
    const alertRow = page.locator('[data-usage-alerts] tr[data-alert-id]');
    await alertRow.getByText('50% in').waitFor();

    await page.getByLabel('Feature', { exact: true }).fill('sso');
    await page.getByRole('button', { name: 'Set entitlement' }).click();
    await page.getByText('Entitlement to sso set.').waitFor();
    await page.getByLabel('Feature', { exact: true }).fill('api_calls');
    await page.getByLabel('Kind of entitlement').selectOption('METERED');
    await page.getByLabel('Limit per period').fill(String(month));
    await page.getByRole('button', { name: 'Set entitlement' }).click();
    await page.getByText('Entitlement to api_calls set.').waitFor();
    await waitForAttribute(page.locator('[data-entitlements] tr[data-feature="api_calls"]'), 'data-has-access', 'false');
    await waitForAttribute(page.locator('[data-entitlements] tr[data-feature="sso"]'), 'data-has-access', 'true');
    await screenshot(page, 'operator-alerts-entitlements');

    // Bad input: the API's message, naming the field, and nothing made.
    await page.getByLabel('Budget', { exact: true }).fill('-5');
    await page.getByRole('button', { name: 'Create alert' }).click();
    await page.getByRole('alert').getByText('budget', { exact: false }).first().waitFor();
    expect(await alertRow.count()).toBe(1);

    // Limits: two raised, the third left empty keeps the default; then one past the maximum, refused naming its field, changes nothing.
    const defaults = (await gql('query($o: ID!) { organization(id: $o) { limits { graphqlCostPerSecond } } }', { o: organizationId }, operator())).organization.limits;
    const limitsSection = page.locator('[data-limits-section]');
    const limitsShown = limitsSection.locator('[data-limits]');
    await limitsSection.getByLabel('Ingest requests per second').fill('5000');
    await limitsSection.getByLabel('Ingest events per second').fill('50000');
    await limitsSection.getByRole('button', { name: 'Save limits' }).click();
    await limitsSection.getByText('Limits saved.').waitFor();
    await waitForAttribute(limitsShown, 'data-ingest-requests-per-second', '5000');
    expect(await limitsShown.getAttribute('data-ingest-events-per-second')).toBe('50000');
    expect(await limitsShown.getAttribute('data-graphql-cost-per-second')).toBe(String(defaults.graphqlCostPerSecond));
    await limitsShown.getByText('5,000 a second').waitFor();
    await limitsSection.getByLabel('Ingest events per second').fill('20000000');
    await limitsSection.getByRole('button', { name: 'Save limits' }).click();
    await limitsSection.getByRole('alert').getByText('ingestEventsPerSecond').first().waitFor();
    expect(await limitsShown.getAttribute('data-ingest-events-per-second')).toBe('50000');
    await limitsSection.scrollIntoViewIfNeeded();
    await screenshot(page, 'operator-limits');

    const organization = await newPage();
    await signIn(organization.page, 'organization', apiKey);
    const card = organization.page.locator('[data-alerts-card]');
    await waitForAttribute(card.locator('[data-alert-id]'), 'data-crossed', '50');
    await waitForAttribute(card.locator('[data-feature="api_calls"]'), 'data-has-access', 'false');
    await waitForAttribute(card.locator('[data-feature="sso"]'), 'data-has-access', 'true');
    await waitForAttribute(card.locator('[data-limits]'), 'data-ingest-requests-per-second', '5000');
    expect(await card.locator('[data-limits]').getAttribute('data-ingest-events-per-second')).toBe('50000');
    await card.scrollIntoViewIfNeeded();
    await screenshot(organization.page, 'organization-alerts-entitlements');
    expect(organization.errors).toEqual([]);

    // Deleted after a confirmation.
    await page.getByRole('button', { name: 'Delete the alert on api_calls' }).click();
    await alertRow.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByText('Alert on api_calls deleted.').waitFor();
    await alertRow.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  }, 90_000);

  it('signs in with the keyboard alone: Tab, arrows, typing and Enter, with a visible focus', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${polaris.http}/dashboard`);
    // Past the email form and the identity provider's button to the other way in.
    const focusedText = async () => (await page.evaluate('document.activeElement?.textContent ?? null')) as string | null;
    for (let presses = 0; presses < 8 && (await focusedText()) !== 'Use an API key or token instead'; presses++) {
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    const credentialId = await page.getByLabel('API key or JWT').getAttribute('id');
    const focusedId = async () => (await page.evaluate('document.activeElement?.id ?? null')) as string | null;
    for (let presses = 0; presses < 6 && (await focusedId()) !== credentialId; presses++) {
      await page.keyboard.press('Tab');
    }
    expect(await focusedId()).toBe(credentialId);
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await page.keyboard.type(apiKey);
    await screenshot(page, 'keyboard-focus');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Acme Rockets' }).waitFor();

    // Back out and in as the operator: the heading has focus, Sign out is one Shift+Tab before it.
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Sign out');
    await page.keyboard.press('Enter');
    await page.getByText('You signed out.').waitFor();
    await page.keyboard.press('Tab'); // the role's radio group, on Organization
    await page.keyboard.press('ArrowRight'); // Operator
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe(await page.getByLabel('Admin token').getAttribute('id'));
    await page.keyboard.type(polaris.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Organizations' }).waitFor();
    expect(errors).toEqual([]);
  }, 60_000);

  it("lets the operator register a webhook endpoint (its secret shown once), rotate its secret, disable and enable it, and redeliver a message", async () => {
    const { page, errors } = await operatorPage();
    await page.getByRole('button', { name: /Acme Rockets/ }).click();
    const section = page.locator('[data-webhooks]');
    await section.getByText('No webhook endpoints').waitFor();

    await section.getByLabel('URL').fill('https://example.com/hooks');
    await section.getByRole('button', { name: 'Register' }).click();
    const secret = section.locator('[data-webhook-secret]');
    await secret.waitFor();
    const first = (await secret.textContent())!.trim();
    expect(first).toMatch(/^whsec_\S{44}$/);
    const [endpoint] = (await gql('query($o: ID) { webhookEndpoints(organizationId: $o) { id url eventTypes enabled } }', { o: organizationId }, operator())).webhookEndpoints;
    expect(endpoint).toMatchObject({ url: 'https://example.com/hooks', eventTypes: ['dev.polaris.invoice.*'], enabled: true });
    await screenshot(page, 'operator-webhook-secret');
    await section.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.content()).not.toContain(first);

    await section.getByRole('button', { name: 'Rotate secret' }).click();
    await secret.waitFor();
    expect((await secret.textContent())!.trim()).not.toBe(first);
    await section.getByRole('button', { name: 'I have stored it' }).click();
    await section.getByRole('button', { name: 'Disable' }).click();
    await waitForAttribute(section.locator(`[data-webhook-endpoint-id="${endpoint.id}"]`), 'data-enabled', 'false');
    await section.getByRole('button', { name: 'Enable' }).click();
    await waitForAttribute(section.locator(`[data-webhook-endpoint-id="${endpoint.id}"]`), 'data-enabled', 'true');

    // An invoice event for the organization: example.com is no receiver, and the log says what came of it.
    const event = { orgId: organizationId, invoiceId: '00000000-0000-4000-8000-000000000001', status: 'draft', amount: '1.00', periodStart: '2026-11-01T00:00:00Z', periodEnd: '2026-12-01T00:00:00Z' };
    const posted = await fetch(`${polaris.http}/events`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': `dashboard-${suffix}`, 'ce-source': '/test', 'ce-type': 'dev.polaris.invoice.updated', 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    expect(posted.status).toBe(202);
    await section.getByRole('button', { name: 'Deliveries' }).click();
    const row = section.locator('[data-webhook-message-id]').first();
    await row.waitFor();
    expect(await row.textContent()).toContain('dev.polaris.invoice.updated');
    await row.getByRole('button', { name: 'Redeliver' }).click();
    await section.getByText(/^Sent msg_/).waitFor({ timeout: 20_000 });
    await screenshot(page, 'operator-webhook-deliveries');
    expect(errors).toEqual([]);
  }, 60_000);

  it('fits a phone screen without scrolling sideways', async () => {
    const { page, errors } = await newPage(phone);
    await page.goto(`${polaris.http}/dashboard`);
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'phone-sign-in');

    await signIn(page, 'organization', apiKey);
    await page.locator('.chart canvas').first().waitFor();
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'phone-organization');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, 'operator', polaris.adminToken);
    await page.getByRole('heading', { level: 2, name: 'Acme Rockets' }).waitFor();
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'phone-operator');
    expect(errors).toEqual([]);
  }, 60_000);

  it("shows the API's error with its code, and sends an ended session back to sign-in", async () => {
    const { page } = await newPage();
    await page.goto(`${polaris.http}/dashboard`);
    await page.getByRole('button', { name: 'Use an API key or token instead' }).click();
    await page.getByLabel('API key or JWT').fill(`pol_${'x'.repeat(40)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'UNAUTHENTICATED' }).waitFor();
    await screenshot(page, 'sign-in-error');

    // The operator's token is not an organization's: the page says which role to pick.
    await page.getByLabel('API key or JWT').fill(polaris.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'FORBIDDEN' }).filter({ hasText: 'sign in as Operator' }).waitFor();

    // A session whose credential stops working ends, back at sign-in with the reason.
    await signIn(page, 'organization', apiKey);
    await page.evaluate(`sessionStorage.setItem('polaris.dashboard.session', JSON.stringify({ role: 'organization', credential: 'pol_${'y'.repeat(40)}' }))`);
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'Your session ended' }).filter({ hasText: 'UNAUTHENTICATED' }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await page.evaluate('sessionStorage.getItem("polaris.dashboard.session")')).toBeNull();
    await screenshot(page, 'session-ended');
  }, 60_000);
});

describe('people in the dashboard', () => {
  const password = 'correct horse battery staple';
  const userSessionKey = 'polaris.dashboard.user-session';
  const storedSession = async (page: Page) => JSON.parse((await page.evaluate(`localStorage.getItem('${userSessionKey}')`)) as string) as { refreshToken: string; expiresAt: string } | null;
  const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name }).waitFor();
  const shown = async (page: Page, selector: string) => (await page.locator(selector).count()) > 0;

  /** Invites `email` to the organization as `role` and accepts for them, as the operator and the invitee would over GraphQL. */
  async function join(organization: string, email: string, role: string): Promise<void> {
    const { inviteUser } = await gql('mutation($o: ID!, $e: String!, $r: Role!) { inviteUser(organizationId: $o, email: $e, role: $r) { token } }', { o: organization, e: email, r: role }, operator());
    await gql('mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p, name: "Ada") { accessToken } }', { t: inviteUser.token, p: password }, {});
  }

  async function signInWithPassword(page: Page, email: string): Promise<void> {
    await page.goto(`${polaris.http}/dashboard`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  beforeAll(async () => {
    // Ada: an admin of Acme Rockets first, then a viewer of Acme Labs.
    const labs = await gql('mutation { createOrganization(name: "Acme Labs") { organization { id } } }', {}, operator());
    await join(organizationId, 'ada@example.com', 'ADMIN');
    await join(labs.createOrganization.organization.id, 'ada@example.com', 'VIEWER');
  });

  it('signs in with email and password, shows what the role allows, renews the session, switches organization and signs out', async () => {
    const { page, errors } = await newPage();
    await signInWithPassword(page, 'ada@example.com');
    await heading(page, 'Acme Rockets');
    await waitForAttribute(page.locator('[data-signed-in-as]'), 'data-signed-in-as', 'ada@example.com');
    await waitForAttribute(page.locator('.badge-role'), 'data-role', 'ADMIN');
    // An admin records usage, and manages keys and people.
    await page.locator('[data-record-usage]').waitFor();
    await page.locator('[data-member="ada@example.com"][data-role="ADMIN"]').waitFor();
    await page.getByRole('heading', { level: 2, name: 'API keys' }).waitFor();
    await page.getByLabel('Usage metric').fill('manual_calls');
    await page.getByLabel('Quantity').fill('3');
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.getByText('Recorded 3 manual_calls.').waitFor();
    await screenshot(page, 'person-admin');

    // The browser keeps the session (its refresh token), never the password; the address holds neither.
    const first = (await storedSession(page))!;
    expect(first.refreshToken).toMatch(/^polr_[\w-]{43}$/);
    expect(await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage)')).not.toContain(password);
    expect(page.url()).toBe(`${polaris.http}/dashboard`);

    // An access token about to expire is renewed before the next request: the refresh token rotates.
    await page.evaluate(`(() => {
      const session = JSON.parse(localStorage.getItem('${userSessionKey}'));
      session.expiresAt = new Date(Date.now() + 5000).toISOString();
      localStorage.setItem('${userSessionKey}', JSON.stringify(session));
    })()`);
    await page.reload();
    await heading(page, 'Acme Rockets');
    const renewed = await waitFor('the session to be renewed', async () => {
      const session = await storedSession(page);
      return session && session.refreshToken !== first.refreshToken ? session : undefined;
    });
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.now() + 60_000);

    // Another organization of hers, where she only reads.
    await page.getByLabel('Organization', { exact: true }).selectOption({ label: 'Acme Labs · Viewer' });
    await heading(page, 'Acme Labs');
    await waitForAttribute(page.locator('.badge-role'), 'data-role', 'VIEWER');
    // The heading shows once the view has its figures, and with them what the role allows.
    expect(await shown(page, '[data-record-usage]')).toBe(false);
    expect(await shown(page, '[data-team]')).toBe(false);
    expect(await page.getByRole('heading', { level: 2, name: 'API keys' }).count()).toBe(0);
    await screenshot(page, 'person-viewer');
    await page.getByLabel('Organization', { exact: true }).selectOption({ label: 'Acme Rockets · Admin' });
    await heading(page, 'Acme Rockets');

    // Signing out ends the session at Polaris: its refresh token no longer works.
    const last = (await storedSession(page))!.refreshToken;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You signed out.').waitFor();
    expect(await storedSession(page)).toBeNull();
    const refused = await graphqlCall(polaris.http, 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', { t: last }, {});
    expect(refused.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect(errors).toEqual([]);
  }, 90_000);

  it('says why a wrong password cannot sign in', async () => {
    const { page } = await newPage();
    await page.goto(`${polaris.http}/dashboard`);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('not her password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'UNAUTHENTICATED' }).waitFor();
    expect(await storedSession(page)).toBeNull();
  }, 30_000);

  it('signs in through the identity provider, and says why when the provider’s user is not Polaris’s', async () => {
    // The provider's development login page loads what it cannot reach here (web fonts, a favicon): only Polaris's errors count.
    const { page } = await newPage();
    const errors = collectPageErrors(page, { origin: polaris.http });
    await page.goto(`${polaris.http}/dashboard`);
    await page.getByRole('link', { name: 'Sign in with Test SSO' }).click();
    await page.locator('input[name="login"]').fill('ada');
    await page.locator('input[name="password"]').fill('anything');
    await screenshot(page, 'identity-provider-login');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await heading(page, 'Acme Rockets');
    await waitForAttribute(page.locator('[data-signed-in-as]'), 'data-signed-in-as', 'ada@example.com');
    // The refresh token came in the address's fragment and left it at once.
    expect(page.url()).toBe(`${polaris.http}/dashboard`);
    expect((await storedSession(page))?.refreshToken).toMatch(/^polr_/);
    expect(errors).toEqual([]);

    const stranger = await newPage();
    stranger.errors = collectPageErrors(stranger.page, { origin: polaris.http });
    await stranger.page.goto(`${polaris.http}/dashboard`);
    await stranger.page.getByRole('link', { name: 'Sign in with Test SSO' }).click();
    await stranger.page.locator('input[name="login"]').fill('stranger');
    await stranger.page.locator('input[name="password"]').fill('anything');
    await stranger.page.getByRole('button', { name: 'Sign-in' }).click();
    await stranger.page.getByRole('alert').filter({ hasText: 'no_account' }).filter({ hasText: 'Ask an owner or admin' }).waitFor();
    await heading(stranger.page, 'Sign in');
    expect(stranger.page.url()).toBe(`${polaris.http}/dashboard`);
    await screenshot(stranger.page, 'identity-provider-no-account');
    expect(stranger.errors).toEqual([]);
  }, 60_000);

  it('lets an admin invite someone, who joins through the link and sees what a member may', async () => {
    const admin = await newPage();
    await admin.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: polaris.http });
    await signInWithPassword(admin.page, 'ada@example.com');
    await heading(admin.page, 'Acme Rockets');
    await admin.page.getByLabel('Email to invite').fill('grace@example.com');
    await admin.page.getByLabel('Their role').selectOption('MEMBER');
    await admin.page.getByRole('button', { name: 'Invite', exact: true }).click();
    const link = (await admin.page.locator('[data-invitation-link]').textContent())!.trim();
    expect(link).toMatch(new RegExp(`^${polaris.http}/dashboard#invitation=poli_[\\w-]{43}$`));
    await admin.page.locator('[data-invitation="grace@example.com"]').waitFor();
    await screenshot(admin.page, 'person-invited');
    expect(admin.errors).toEqual([]);

    // On a phone: the person's email, role and switcher fit as the rest does.
    const member = await newPage(phone);
    await member.page.goto(link);
    await heading(member.page, 'Join your organization');
    // The token leaves the address as the page loads.
    expect(member.page.url()).toBe(`${polaris.http}/dashboard`);
    await member.page.getByLabel('Your name').fill('Grace');
    await member.page.getByLabel('Password').fill(password);
    await member.page.getByRole('button', { name: 'Accept invitation' }).click();
    await heading(member.page, 'Acme Rockets');
    await waitForAttribute(member.page.locator('.badge-role'), 'data-role', 'MEMBER');
    await member.page.locator('[data-record-usage]').waitFor();
    expect(await shown(member.page, '[data-team]')).toBe(false);
    expect(await member.page.getByRole('heading', { level: 2, name: 'API keys' }).count()).toBe(0);
    await expectNoSidewaysScroll(member.page);
    await screenshot(member.page, 'phone-person-member');
    expect(member.errors).toEqual([]);

    // The admin sees her join once the page reads again.
    await admin.page.reload();
    await admin.page.locator('[data-member="grace@example.com"][data-role="MEMBER"]').waitFor();
  }, 60_000);
});
