/**
 * The dashboard's page in memory, ready to serve: each file with its content
 * type, cache policy, ETag and compressed forms. A bundle reads the files
 * `npm run build` put beside it, compressed forms included (brotli at its
 * best quality took 300 ms of every cold start); from source they are built
 * and compressed on start.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { compress, compressedFiles, type CompressedForms, type PageFiles } from './page-files.js';

/** One file of the page as it is served. */
export interface PageAsset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly cacheControl: string;
  readonly etag: string;
  readonly encoded: CompressedForms;
}

/** Where `npm run build` puts the page, relative to the bundle (`dist/functions/dashboard/public/`). */
const builtDir = new URL('./public/', import.meta.url);

const contentTypes: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** esbuild's `[name]-[hash]` names: their content never changes, so browsers may keep them for good. */
const hashedName = /-[A-Z0-9]{8}\.(js|css)$/;

export async function loadDashboardPage(): Promise<Map<string, PageAsset>> {
  if (existsSync(new URL('index.html', builtDir))) return readBuiltPage();
  const files = await buildPageFromSource();
  return new Map([...files].map(([name, contents]) => [name, pageAsset(name, Buffer.from(contents), compress(Buffer.from(contents)))]));
}

function readBuiltPage(): Map<string, PageAsset> {
  const names = readdirSync(builtDir);
  const read = (name: string) => (names.includes(name) ? readFileSync(new URL(name, builtDir)) : undefined);
  const pages = names.filter((name) => !Object.values(compressedFiles).some((suffix) => name.endsWith(suffix)));
  return new Map(
    pages.map((name) => {
      const [br, gzip] = [read(`${name}${compressedFiles.br}`), read(`${name}${compressedFiles.gzip}`)];
      return [name, pageAsset(name, read(name)!, { ...(br && { br }), ...(gzip && { gzip }) })];
    }),
  );
}

async function buildPageFromSource(): Promise<PageFiles> {
  // A specifier in a variable: esbuild leaves the import alone, so the bundle carries neither esbuild nor the page's sources.
  const builder = './build-page.js';
  const { buildDashboardPage } = (await import(builder)) as typeof import('./build-page.js');
  return buildDashboardPage();
}

function pageAsset(name: string, body: Buffer, encoded: CompressedForms): PageAsset {
  const extension = name.slice(name.lastIndexOf('.') + 1);
  return {
    body,
    contentType: contentTypes[extension] ?? 'application/octet-stream',
    cacheControl: hashedName.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    encoded,
  };
}

/** The best encoding of `asset` the client accepts (`Accept-Encoding`), or undefined for the plain body. */
export function negotiateEncoding(asset: PageAsset, acceptEncoding: string | undefined): 'br' | 'gzip' | undefined {
  const accepted = new Set<string>();
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';');
    const refused = params.some((param) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(param));
    if (coding && !refused) accepted.add(coding);
  }
  if (asset.encoded.br && accepted.has('br')) return 'br';
  if (asset.encoded.gzip && (accepted.has('gzip') || accepted.has('*'))) return 'gzip';
  return undefined;
}
