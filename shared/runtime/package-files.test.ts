import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { packageFilePaths } from './package-files.js';

const graphiql = { packageDir: 'mercurius/static', bundleDir: 'static', files: { page: 'graphiql.html', script: 'main.js' } };

describe('packageFilePaths', () => {
  let bundle: string | undefined;
  afterEach(() => {
    if (bundle) rmSync(bundle, { recursive: true, force: true });
    bundle = undefined;
  });

  /** A bundle's folder with `files` in its `static/`, and the URL of its `index.mjs`. */
  function bundleWith(...files: string[]): string {
    bundle = mkdtempSync(join(tmpdir(), 'polaris-package-files-'));
    mkdirSync(join(bundle, 'static'));
    for (const file of files) writeFileSync(join(bundle, 'static', file), 'copy');
    return pathToFileURL(join(bundle, 'index.mjs')).href;
  }

  it("reads the package's files from source", () => {
    const paths = packageFilePaths(graphiql, import.meta.url);
    expect(paths.page).toMatch(/node_modules[/\\]mercurius[/\\]static[/\\]graphiql\.html$/);
    expect(paths.script).toMatch(/node_modules[/\\]mercurius[/\\]static[/\\]main\.js$/);
  });

  it("reads the bundle's copies when all of them are there", () => {
    const moduleUrl = bundleWith('graphiql.html', 'main.js');
    expect(packageFilePaths(graphiql, moduleUrl)).toEqual({ page: join(bundle!, 'static', 'graphiql.html'), script: join(bundle!, 'static', 'main.js') });
  });

  it("throws at once when one of the bundle's copies is missing and no package is installed beside it", () => {
    const moduleUrl = bundleWith('graphiql.html');
    expect(() => packageFilePaths(graphiql, moduleUrl)).toThrow(/mercurius\/static\/graphiql\.html/);
  });

  it('throws at once when a file is in neither place', () => {
    expect(() => packageFilePaths({ ...graphiql, files: { page: 'graphiql.html', missing: 'nowhere.js' } }, import.meta.url)).toThrow(/nowhere\.js/);
  });
});
