/**
 * A browser's part of a redirect dance, for tests that need no page: fetch
 * with a cookie jar that keeps cookies as browsers do (by host, not port; by
 * path; gone when expired), following redirects one by one so a test sees
 * every stop, fragments included.
 */

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  /** Milliseconds since the epoch; undefined for a session cookie. */
  expiresAt?: number;
  secure: boolean;
}

export interface Visit {
  /** Where the browser ended, with the fragment the last redirect gave. */
  url: URL;
  /** The last answer; undefined when `until` stopped before requesting `url`. */
  response?: Response;
}

export class TestBrowser {
  private cookies: StoredCookie[] = [];

  /** One request, no redirect followed; the cookies that match go along, the answer's are kept. */
  async request(url: string | URL, init: { method?: string; form?: URLSearchParams } = {}): Promise<Response> {
    const target = new URL(url);
    target.hash = '';
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(target, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body: init.form?.toString(), redirect: 'manual' });
    for (const setCookie of response.headers.getSetCookie()) this.store(target, setCookie);
    return response;
  }

  /**
   * Requests `url` and follows redirects until an answer that is not one, or
   * until `until` says the next URL is where to stop (without requesting it).
   */
  async visit(url: string | URL, options: { form?: URLSearchParams; until?: (next: URL) => boolean } = {}): Promise<Visit> {
    let current = new URL(url);
    let response = await this.request(current, { form: options.form });
    for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
      if (hops === 20) throw new Error(`more than 20 redirects from ${String(url)}`);
      const location = response.headers.get('location');
      if (!location) break;
      await response.body?.cancel();
      current = new URL(location, current);
      if (options.until?.(current)) return { url: current };
      response = await this.request(current);
    }
    return { url: current, response };
  }

  /** The value of a cookie the browser would send to `url`. */
  cookie(url: string | URL, name: string): string | undefined {
    return this.matching(new URL(url)).find((cookie) => cookie.name === name)?.value;
  }

  /** Replaces or adds a cookie by hand, as a tampering user could. */
  setCookie(url: string | URL, name: string, value: string, path = '/'): void {
    const { hostname } = new URL(url);
    this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === hostname && c.path === path));
    this.cookies.push({ name, value, host: hostname, path, secure: false });
  }

  /** Forgets every cookie, as another browser would have none. */
  clearCookies(): void {
    this.cookies = [];
  }

  private cookieHeader(url: URL): string {
    return this.matching(url)
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  private matching(url: URL): StoredCookie[] {
    const now = Date.now();
    this.cookies = this.cookies.filter((cookie) => cookie.expiresAt === undefined || cookie.expiresAt > now);
    return this.cookies.filter(
      (cookie) =>
        cookie.host === url.hostname &&
        (!cookie.secure || url.protocol === 'https:') &&
        (url.pathname === cookie.path || url.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`)),
    );
  }

  /** RFC 6265 §5.2, the parts that matter here: Path, Max-Age, Expires, Secure. */
  private store(url: URL, setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const separator = pair.indexOf('=');
    if (separator <= 0) return;
    const cookie: StoredCookie = {
      name: pair.slice(0, separator).trim(),
      value: pair.slice(separator + 1).trim(),
      host: url.hostname,
      path: url.pathname.slice(0, Math.max(1, url.pathname.lastIndexOf('/'))),
      secure: false,
    };
    for (const attribute of attributes) {
      const [key = '', ...rest] = attribute.split('=');
      const value = rest.join('=').trim();
      switch (key.trim().toLowerCase()) {
        case 'path':
          if (value.startsWith('/')) cookie.path = value;
          break;
        case 'max-age':
          cookie.expiresAt = Date.now() + Number(value) * 1000;
          break;
        case 'expires':
          cookie.expiresAt ??= Date.parse(value);
          break;
        case 'secure':
          cookie.secure = true;
          break;
      }
    }
    this.cookies = this.cookies.filter((c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path));
    if (cookie.expiresAt === undefined || cookie.expiresAt > Date.now()) this.cookies.push(cookie);
  }
}
