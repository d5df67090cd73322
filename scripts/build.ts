/**
 * Bundles every function in the registry into a self-contained folder,
 * `dist/functions/<name>/`, whose `index.mjs` serves it on PORT as Knative runs
 * it (`node dist/functions/validate-api-key/index.mjs`): the function's code is
 * `function.cjs`, with its V8 code cache `function.cjs.cache`. Also bundles the
 * migrator, `dist/migrate/index.mjs`, for the Kubernetes Job, the event
 * processes `dist/delivery/` (compose) and `dist/outbox-relay/` (the cluster), and the
 * dashboard's web page into `dist/functions/dashboard/public/`.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { invoiceFontFiles } from '../functions/billing/invoice-fonts.js';
import { graphiqlFiles } from '../functions/gateway/graphiql.js';
import { writeDashboardPage } from '../functions/dashboard/build-page.js';
import { functionRegistry } from '../functions/registry.js';
import type { FunctionEntry } from '../shared/runtime/index.js';
import type { PackageFiles } from '../shared/runtime/package-files.js';
import { findFreePort } from './local/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
export const distDir = `${root}dist`;
const execFileAsync = promisify(execFile);

/**
 * Where @grpc/reflection, which reads its .proto files at run time, finds them
 * in a bundle; and grpc-js, which would load them only to serve channelz or
 * ORCA, finds none (shared/grpc/unbundled-proto-loader.ts).
 */
const embeddedProtoLoader: Plugin = {
  name: 'embedded-proto-loader',
  setup(build) {
    build.onResolve({ filter: /^@grpc\/proto-loader$/ }, (args) => {
      if (/[/\\]@grpc[/\\]reflection[/\\]/.test(args.importer)) return { path: `${root}shared/grpc/embedded-proto-loader.ts` };
      if (/[/\\]@grpc[/\\]grpc-js[/\\]/.test(args.importer)) return { path: `${root}shared/grpc/unbundled-proto-loader.ts` };
      return undefined;
    });
  },
};

/**
 * A gRPC function's reflection serves its own service only, so its bundle
 * carries that service's FileDescriptorSet instead of all of proto/'s.
 */
function ownDescriptorSet(service: string): Plugin {
  return {
    name: 'own-descriptor-set',
    setup(build) {
      build.onResolve({ filter: /[/\\]proto[/\\]gen[/\\]descriptor-set\.js$/ }, () => ({ path: `${root}proto/gen/descriptor-sets/${service}.ts` }));
    },
  };
}

/**
 * Native addons (@node-rs/argon2's, from the platform's package npm
 * installed) are required from the bundle's own folder, where the build puts a
 * copy ({@link copyNativeAddons}), so each folder stays self-contained. The
 * requires of other platforms' packages, which npm did not install, stay as
 * they are, inside the try/catch that skips them.
 */
const nativeAddonsBesideBundle: Plugin = {
  name: 'native-addons-beside-bundle',
  setup(build) {
    build.onLoad({ filter: /\.node$/ }, (args) => ({ contents: `module.exports = require(${JSON.stringify(`./${basename(args.path)}`)});`, loader: 'js', resolveDir: dirname(args.path) }));
    build.onResolve({ filter: /\.node$/ }, (args) => (args.importer.endsWith('.node') ? { path: args.path, external: true } : undefined));
  },
};

/**
 * A module that a package requires but a bundle never runs, replaced by a
 * stand-in that throws, naming the module and why, if it is ever called:
 * `modules` as required from a file matching `importer`.
 */
function leaveOut(name: string, { modules, importer, why }: { modules: RegExp; importer: RegExp; why: string }): Plugin {
  const namespace = `left-out-${name}`;
  return {
    name,
    setup(build) {
      build.onResolve({ filter: modules }, (args) => (importer.test(args.importer) ? { path: args.path, namespace } : undefined));
      build.onLoad({ filter: /.*/, namespace }, (args) => ({
        contents: `module.exports = function leftOut() { throw new Error(${JSON.stringify(`${args.path} is left out of the bundle: ${why} (scripts/build.ts)`)}); };`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Mercurius requires its GraphiQL file server (@fastify/static, with glob,
 * send and a MIME database) and its subscription server (@fastify/websocket,
 * ws) when it loads, whether or not they are used. The gateway uses neither:
 * it serves GraphiQL itself (functions/gateway/graphiql.ts) and has no
 * subscriptions. So a bundle carries, for each, a stand-in that refuses to be
 * registered: the gateway's bundle is 281 KiB smaller, and starts sooner.
 */
const mercuriusWithoutUnusedServers = leaveOut('mercurius-without-unused-servers', {
  modules: /^(@fastify\/static|\.\/subscription)$/,
  importer: /[/\\]mercurius[/\\]lib[/\\]routes\.js$/,
  why: "Mercurius's GraphiQL and subscription servers are not used",
});

/**
 * Fastify's schema compilers (Ajv and fast-json-stringify, with what they
 * load: some 650 KB of source) run only in an app whose routes declare
 * schemas, a function marked `routeSchemas` (shared/runtime/http.ts). The
 * other HTTP functions' bundles carry a stand-in for each.
 */
const fastifyWithoutSchemaCompilers = leaveOut('fastify-without-schema-compilers', {
  modules: /^@fastify\/(ajv-compiler|fast-json-stringify-compiler)$/,
  importer: /[/\\]fastify[/\\]lib[/\\]schema-controller\.js$/,
  why: 'its function is not marked `routeSchemas` in functions/registry.ts',
});

/** The entry module of each function of a build, `polaris-function:<name>`, made by {@link entrySource}. */
function functionEntries(entries: readonly FunctionEntry[]): Plugin {
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  return {
    name: 'function-entries',
    setup(build) {
      build.onResolve({ filter: /^polaris-function:/ }, (args) => ({ path: args.path.slice('polaris-function:'.length), namespace: 'polaris-function' }));
      build.onLoad({ filter: /.*/, namespace: 'polaris-function' }, (args) => ({ contents: entrySource(byName.get(args.path)!), resolveDir: root, loader: 'ts' }));
    },
  };
}

const common: BuildOptions = {
  // Paths in the metafile are relative to the checkout, wherever the build runs from.
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  plugins: [embeddedProtoLoader, nativeAddonsBesideBundle, mercuriusWithoutUnusedServers],
  logLevel: 'warning',
  metafile: true,
};

/** The migrator and the delivery process: one ES module each. */
const esModule: BuildOptions = {
  ...common,
  format: 'esm',
  // CommonJS dependencies (@grpc/grpc-js among them) use require and __dirname; an ES module has neither.
  // Packages find their own files relative to a folder one level below their root (lib/, src/), so
  // __dirname is `<bundle dir>/lib`.
  banner: {
    js: [
      "import { createRequire as __polarisCreateRequire } from 'node:module';",
      "import { fileURLToPath as __polarisFileURLToPath } from 'node:url';",
      'const require = __polarisCreateRequire(import.meta.url);',
      'const __filename = __polarisFileURLToPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/')) + '/lib';",
    ].join(' '),
  },
};

/**
 * A function's code, `function.cjs`: a CommonJS script, since only a script
 * can be compiled with a V8 code cache on Node 20. It is one function
 * expression, Node's CommonJS wrapper plus `importMetaUrl`, which the bundle's
 * `index.mjs` (shared/runtime/code-cache-loader.ts) compiles as the file
 * stands and calls with require, __filename, __dirname and the URL. The file
 * is ASCII (esbuild escapes the rest), so the loader can read it as Latin-1.
 */
const functionCode: BuildOptions = {
  ...common,
  format: 'cjs',
  charset: 'ascii',
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: '(function (exports, require, module, __filename, __dirname, importMetaUrl) {' },
  footer: { js: '})' },
};

/**
 * The bundle's entry source: the function module handed to the standalone
 * runtime with the one server its kind needs, as the start function the loader
 * calls once the code is compiled.
 */
export function entrySource(entry: FunctionEntry): string {
  const server = {
    grpc: `import { startGrpcServer as start } from './shared/runtime/grpc-server.ts';`,
    http: `import { startHttpServer as start } from './shared/runtime/http-server.ts';`,
    event: `import { startEventServer as start } from './shared/runtime/event-server.ts';`,
  }[entry.kind];
  return [
    `import fn from './functions/${entry.module}.ts';`,
    `import { runStandalone } from './shared/runtime/standalone.ts';`,
    server,
    `export default () => runStandalone(${JSON.stringify(entry)}, fn, start);`,
  ].join('\n');
}

/** Files a bundle reads at run time, copied from node_modules into the bundle's folder (shared/runtime/package-files.ts). */
const bundleAssets: Partial<Record<string, PackageFiles<string>>> = {
  // GraphiQL's page and scripts, which the gateway serves.
  gateway: graphiqlFiles,
  // The fonts invoice documents embed.
  'invoice-document': invoiceFontFiles,
};

export function bundlePath(name: string): string {
  return `${distDir}/functions/${name}/index.mjs`;
}

/**
 * Functions bundled in one esbuild build share one parse of everything they
 * import (five times faster than a build each): one build per gRPC service,
 * whose bundles carry that service's reflection descriptors, one for the
 * HTTP and event functions, and one for those whose routes declare schemas
 * (the gateway), whose bundles keep Fastify's schema compilers. Each
 * function still gets a whole bundle of its own.
 */
function buildGroups(): FunctionEntry[][] {
  const groups = new Map<string, FunctionEntry[]>();
  for (const entry of functionRegistry as readonly FunctionEntry[]) {
    const key = entry.kind === 'grpc' ? `grpc ${entry.service}` : entry.routeSchemas ? 'http with route schemas' : 'http';
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  return [...groups.values()];
}

/** What a build group's bundles leave out or carry of their own, by its first entry (shared by the group). */
function groupPlugins(entry: FunctionEntry): Plugin[] {
  if (entry.kind === 'grpc') return [ownDescriptorSet(entry.service)];
  return entry.routeSchemas ? [] : [fastifyWithoutSchemaCompilers];
}

/** Builds every bundle; returns each output's size in bytes. */
export async function buildAll(): Promise<Map<string, number>> {
  rmSync(distDir, { recursive: true, force: true });
  const sizes = new Map<string, number>();
  const buildLoader = async (leanStart: boolean) =>
    (await build({ entryPoints: [`${root}shared/runtime/code-cache-loader.ts`], platform: 'node', target: 'node20', format: 'esm', write: false, define: { POLARIS_LEAN_START: String(leanStart) } })).outputFiles[0]!.contents;
  const loaders = { lean: await buildLoader(true), usual: await buildLoader(false) };
  // The dashboard's web page (scripts, styles, HTML), served from the bundle's folder.
  const dashboardPage = writeDashboardPage(`${dirname(bundlePath('dashboard'))}/public`);
  /** What a function reads from its folder when it starts, so before its code cache's start. */
  const filesReadAtStart: Partial<Record<string, Promise<unknown>>> = { dashboard: dashboardPage };
  const finishBundle = async (entry: FunctionEntry, code: { bytes: number; inputs: string[] }) => {
    const directory = dirname(bundlePath(entry.name));
    const loader = entry.leanStart ? loaders.lean : loaders.usual;
    writeFileSync(bundlePath(entry.name), loader);
    copyNativeAddons(code.inputs, directory);
    const assets = bundleAssets[entry.name];
    if (assets) {
      for (const file of Object.values(assets.files)) cpSync(`${root}node_modules/${assets.packageDir}/${file}`, `${directory}/${assets.bundleDir}/${file}`);
    }
    await filesReadAtStart[entry.name];
    await writeCodeCache(entry.name);
    sizes.set(entry.name, code.bytes + loader.length);
  };
  const builds = buildGroups().map(async (group) => {
    const result = await build({
      ...functionCode,
      plugins: [...functionCode.plugins!, functionEntries(group), ...groupPlugins(group[0]!)],
      entryPoints: Object.fromEntries(group.map((entry) => [`${entry.name}/function`, `polaris-function:${entry.name}`])),
      outdir: `${distDir}/functions`,
      outExtension: { '.js': '.cjs' },
    });
    const outputs = Object.values(result.metafile!.outputs);
    await Promise.all(
      group.map((entry) => {
        const code = outputs.find((output) => output.entryPoint === `polaris-function:${entry.name}`)!;
        return finishBundle(entry, { bytes: code.bytes, inputs: Object.keys(code.inputs) });
      }),
    );
  });
  const buildProcess = async (name: string, entryPoint: string) => {
    const outfile = `${distDir}/${name}/index.mjs`;
    const result = await build({ ...esModule, entryPoints: [`${root}${entryPoint}`], outfile });
    const code = result.metafile!.outputs[relative(root, outfile)]!;
    copyNativeAddons(Object.keys(code.inputs), dirname(outfile));
    sizes.set(name, code.bytes);
  };
  builds.push(buildProcess('migrate', 'scripts/migrate.ts'));
  // The always-on event processes: the delivery for compose (relays to JetStream and delivers), the outbox relay for the cluster (to the Broker).
  builds.push(buildProcess('delivery', 'functions/event-plane/process.ts'));
  builds.push(buildProcess('outbox-relay', 'functions/event-plane/relay-process.ts'));
  builds.push(dashboardPage.then((bytes) => void sizes.set('dashboard (web page)', bytes)));
  await Promise.all(builds);
  return sizes;
}

/** Copies the native addons among a bundle's inputs (see {@link nativeAddonsBesideBundle}) into its folder. */
function copyNativeAddons(inputs: readonly string[], directory: string): void {
  for (const input of inputs.filter((path) => path.endsWith('.node'))) copyFileSync(resolve(root, input), `${directory}/${basename(input)}`);
}

/**
 * Starts a bundle once with `--write-code-cache`, so its code cache holds all
 * that starting compiles: on a free port, with a database URL it never uses
 * (the pool connects on its first query), and none of the build's environment,
 * so no NODE_OPTIONS give the cache V8 flags a cold start would not have.
 */
async function writeCodeCache(name: string): Promise<void> {
  const env = { PORT: String(await findFreePort()), DATABASE_URL: 'postgres://polaris@127.0.0.1:1/polaris', LOG_LEVEL: 'warn' };
  await execFileAsync(process.execPath, [bundlePath(name), '--write-code-cache'], { env, timeout: 60_000 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await buildAll();
  for (const [name, bytes] of [...sizes].sort()) console.log(`${name.padEnd(24)} ${(bytes / 1024).toFixed(0).padStart(6)} KiB`);
}
