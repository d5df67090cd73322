/**
 * A real browser for the tests: Debian's Chromium (`apt-get install
 * chromium`), driven by playwright-core. No browser is downloaded.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/**
 * Headless Chromium. The background-networking flags matter on a closed
 * network: without them Chromium keeps trying to reach its update and sync
 * services.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium is missing at ${chromiumPath}: install it with \`apt-get install chromium\` (\`npm test\` does when run as root).`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Saves full-page screenshots as `<dir>/<nn>-<name>.png`, numbered in the
 * order they are taken; `dir` starts empty, so it holds one run's pictures.
 */
export function screenshotter(dir: string): (page: Page, name: string) => Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let taken = 0;
  return async (page, name) => {
    taken += 1;
    await page.screenshot({ path: `${dir}/${String(taken).padStart(2, '0')}-${name}.png`, fullPage: true });
  };
}

/** Resolves once `locator`'s attribute `name` is `value`; fails with the last value seen. */
export async function waitForAttribute(locator: Locator, name: string, value: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: string | null = null;
  while (Date.now() < deadline) {
    seen = (await locator.count()) > 0 ? await locator.first().getAttribute(name) : null;
    if (seen === value) return;
    // Short: most waits end within a render or two, and each check is only two round trips to the browser.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} stayed ${JSON.stringify(seen)}, expected ${JSON.stringify(value)}`);
}

/**
 * Errors the page reported: uncaught exceptions, console errors (CSP refusals
 * among them). `origin`: only those of pages and resources there, for a
 * page that also visits another site (an identity provider's login page).
 */
export function collectPageErrors(page: Page, options: { origin?: string } = {}): string[] {
  const errors: string[] = [];
  const ours = (url: string) => options.origin === undefined || url.startsWith(`${options.origin}/`);
  page.on('pageerror', (error) => {
    if (ours(page.url())) errors.push(`pageerror: ${error.message}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error' && ours(message.location().url || page.url())) errors.push(`console: ${message.text()}`);
  });
  return errors;
}
