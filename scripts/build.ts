/**
 * Bundles every function in the registry into one self-contained file,
 * `dist/functions/<name>/index.mjs`, that serves it on PORT as Knative runs it
 * (`node dist/functions/validate-api-key/index.mjs`). Also bundles the
 * migrator, `dist/migrate/index.mjs`, for the Kubernetes Job, and the
 * dashboard's web page into `dist/functions/dashboard/public/`.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { cpSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDashboardPage } from '../functions/dashboard/build-page.js';
import { functionRegistry } from '../functions/registry.js';
import type { FunctionEntry } from '../shared/runtime/function.js';

const root = fileURLToPath(new URL('..', import.meta.url));
export const distDir = `${root}dist`;

/** Where the packages that read their .proto files at run time find them in a bundle. */
const embeddedProtoLoader: Plugin = {
  name: 'embedded-proto-loader',
  setup(build) {
    build.onResolve({ filter: /^@grpc\/proto-loader$/ }, (args) =>
      /[/\\](grpc-health-check|@grpc[/\\]reflection)[/\\]/.test(args.importer)
        ? { path: `${root}shared/grpc/embedded-proto-loader.ts` }
        : undefined,
    );
  },
};

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  // CommonJS dependencies (@grpc/grpc-js among them) use require and __dirname; an ES module has neither.
  // Packages find their own files relative to a folder one level below their root (lib/, src/), so
  // __dirname is `<bundle dir>/lib` and such files are copied into the bundle's folder (`bundleAssets`).
  banner: {
    js: [
      "import { createRequire as __polarisCreateRequire } from 'node:module';",
      "import { fileURLToPath as __polarisFileURLToPath } from 'node:url';",
      'const require = __polarisCreateRequire(import.meta.url);',
      'const __filename = __polarisFileURLToPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/')) + '/lib';",
    ].join(' '),
  },
  plugins: [embeddedProtoLoader],
  logLevel: 'warning',
  metafile: true,
};

/**
 * The bundle's entry source: the function module handed to the standalone
 * runtime with the one server its kind needs.
 */
export function entrySource(entry: FunctionEntry): string {
  const server =
    entry.kind === 'grpc'
      ? `import { startGrpcServer as start } from './shared/runtime/grpc-server.ts';`
      : `import { startStandaloneHttpServer as start } from './shared/runtime/http-server.ts';`;
  return [
    `import fn from './functions/${entry.module}.ts';`,
    `import { runStandalone } from './shared/runtime/standalone.ts';`,
    server,
    `await runStandalone(${JSON.stringify(entry)}, fn, start);`,
  ].join('\n');
}

/** Files a bundle's packages read at run time, copied from node_modules into the bundle's folder. */
const bundleAssets: Partial<Record<string, Array<{ from: string; to: string }>>> = {
  // GraphiQL's page and scripts, served by Mercurius from `<package>/static`.
  gateway: [{ from: 'mercurius/static', to: 'static' }],
};

export function bundlePath(name: string): string {
  return `${distDir}/functions/${name}/index.mjs`;
}

/** Builds every bundle; returns each output's size in bytes. */
export async function buildAll(): Promise<Map<string, number>> {
  rmSync(distDir, { recursive: true, force: true });
  const sizes = new Map<string, number>();
  const builds = functionRegistry.map(async (entry) => {
    const result = await build({
      ...common,
      stdin: { contents: entrySource(entry), resolveDir: root, loader: 'ts', sourcefile: `${entry.name}.entry.ts` },
      outfile: bundlePath(entry.name),
    });
    sizes.set(entry.name, outputBytes(result.metafile!));
    for (const asset of bundleAssets[entry.name] ?? []) {
      cpSync(`${root}node_modules/${asset.from}`, `${dirname(bundlePath(entry.name))}/${asset.to}`, { recursive: true });
    }
  });
  builds.push(
    build({ ...common, entryPoints: [`${root}scripts/migrate.ts`], outfile: `${distDir}/migrate/index.mjs` }).then((result) => {
      sizes.set('migrate', outputBytes(result.metafile!));
    }),
  );
  builds.push(build({ ...common, entryPoints: [`${root}scripts/delivery.ts`], outfile: `${distDir}/delivery/index.mjs` }).then((result) => void sizes.set('delivery', outputBytes(result.metafile!))));
  // The dashboard's web page (scripts, styles, HTML), served from the bundle's folder.
  builds.push(writeDashboardPage(`${dirname(bundlePath('dashboard'))}/public`).then((bytes) => void sizes.set('dashboard (web page)', bytes)));
  await Promise.all(builds);
  return sizes;
}

function outputBytes(metafile: { outputs: Record<string, { bytes: number }> }): number {
  return Object.entries(metafile.outputs)
    .filter(([file]) => file.endsWith('.mjs'))
    .reduce((sum, [, output]) => sum + output.bytes, 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await buildAll();
  for (const [name, bytes] of [...sizes].sort()) console.log(`${name.padEnd(24)} ${(bytes / 1024).toFixed(0).padStart(6)} KiB`);
}
