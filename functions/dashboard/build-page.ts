/**
 * Builds the dashboard's page from `web/` with esbuild: one script and one
 * stylesheet named by their content hash, the favicon, and the HTML that
 * loads them. `npm run build` writes the files beside the dashboard bundle;
 * `npm start` builds them in memory when the function starts.
 */
import { build } from 'esbuild';
import { mkdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePageFile, type PageFiles } from './page-files.js';

const webDir = fileURLToPath(new URL('./web/', import.meta.url));

export async function buildDashboardPage(): Promise<PageFiles> {
  const result = await build({
    entryPoints: { app: `${webDir}main.jsx` },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    entryNames: '[name]-[hash]',
    outdir: `${webDir}out`,
    write: false,
    logLevel: 'warning',
  });
  const files: PageFiles = new Map(result.outputFiles.map((file) => [basename(file.path), file.contents]));
  const script = [...files.keys()].find((name) => name.endsWith('.js'));
  const stylesheet = [...files.keys()].find((name) => name.endsWith('.css'));
  if (!script || !stylesheet) throw new Error('dashboard: esbuild produced no script or no stylesheet');
  files.set('favicon.svg', await readFile(`${webDir}favicon.svg`));
  files.set('index.html', new TextEncoder().encode(pageHtml(script, stylesheet)));
  return files;
}

/** Writes the page's files into `dir`; returns their total size in bytes. */
export async function writeDashboardPage(dir: string): Promise<number> {
  const files = await buildDashboardPage();
  await mkdir(dir, { recursive: true });
  await Promise.all([...files].map(([name, contents]) => writePageFile(dir, name, Buffer.from(contents))));
  return [...files.values()].reduce((sum, contents) => sum + contents.byteLength, 0);
}

function pageHtml(script: string, stylesheet: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Polaris dashboard</title>
<link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/${stylesheet}">
<script type="module" src="/dashboard/${script}"></script>
</head>
<body>
<div id="app"><noscript>The Polaris dashboard needs JavaScript. The same data is at <a href="/graphiql">GraphiQL</a>.</noscript></div>
</body>
</html>
`;
}
