/**
 * A function bundle's entry point, `index.mjs`: compiles the function's code,
 * `function.cjs` beside it, with the V8 code cache `npm run build` made for it,
 * then starts the function. Node 20 keeps no compiled code for ES modules, and
 * compiling was about 40% of a gRPC function's cold start. V8 rejects a cache
 * from another Node version or with other V8 flags (a heap size in
 * NODE_OPTIONS, say); the code then compiles as it would without one.
 *
 * `node index.mjs --write-code-cache` (scripts/build.ts) starts the function,
 * then writes the cache of all the start compiled and exits.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

// Through require: importing node:fs as an ES module reads all its exports,
// which loads its streams (4 ms) for nothing.
const require = createRequire(import.meta.url);
const { readFileSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
const filename = fileURLToPath(new URL('function.cjs', import.meta.url));
const cacheFile = `${filename}.cache`;
const writingCache = process.argv.includes('--write-code-cache');

/** The cache, when the bundle has one (a folder copied without it still starts, only slower). */
function cachedCode(): Buffer | undefined {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

// The file is one function expression, Node's CommonJS wrapper plus
// `importMetaUrl` for the code's import.meta.url (see scripts/build.ts). It is
// ASCII, so read as Latin-1 it becomes a string outside V8's heap that V8
// compiles where it lies. Wrapping the text here made a 2.3 MB copy in the
// heap's large-object space, and left the text read as garbage there that only
// a full GC frees, which an idle function never runs: 3.7 MB of idle RSS.
const script = new Script(readFileSync(filename, 'latin1'), {
  filename,
  cachedData: writingCache ? undefined : cachedCode(),
});
if (script.cachedDataRejected) {
  process.emitWarning('the code cache was made by another Node version or with other V8 flags; the code compiles as it starts, more slowly', { code: 'POLARIS_CODE_CACHE_REJECTED' });
}

/** Whether the function's registry entry asks for a lean start (set by scripts/build.ts for each bundle). */
declare const POLARIS_LEAN_START: boolean;

/**
 * V8's settings while a function whose start builds much starts, and after.
 * A start runs once: V8 compiling its loops (the gateway's schema built, its
 * checks run) to baseline and optimized code makes code that never runs
 * again and pages in the compilers, and its young generation grows to hold
 * what the start keeps and then stays grown while the function idles.
 * Without either, the gateway started no slower and idled 8–9 MiB smaller;
 * the smaller functions started some 10 ms slower and idled no smaller, so
 * they start as V8 would (scripts/bench/LOG.md).
 *
 * Each flag is set once the cache is read, and set back to V8's default once
 * the function has started (`--max-opt` would not do: lowering it turns the
 * compilers off for good). A cache is written under V8's own settings: V8
 * accepts a cache only under the flags it was made with, and may take them
 * for the cache's before the start is over. An operator who sets any of
 * these flags, or `--max-opt` or `--jitless` (NODE_OPTIONS), gets none of it.
 * Maglev is left as it is: on by default on Node 24, off on Node 20, and V8
 * cannot tell a flag's value back to be set again.
 */
const startFlags = [
  ['--no-turbofan', '--turbofan'],
  ['--no-sparkplug', '--sparkplug'],
  ['--semi-space-growth-factor=1', '--semi-space-growth-factor=2'],
] as const;
const flagName = (flag: string) => flag.replace(/=.*$/, '').replaceAll('_', '-').replace(/^--no-/, '--');
const concerned = new Set(['--turbofan', '--opt', '--max-opt', '--jitless', '--sparkplug', '--semi-space-growth-factor']);
const operatorSets = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) => concerned.has(flagName(flag)));
const tunedFlags = POLARIS_LEAN_START && !writingCache && !operatorSets ? startFlags : [];

function setFlags(values: readonly string[]): void {
  if (values.length === 0) return;
  const { setFlagsFromString } = require('node:v8') as typeof import('node:v8');
  for (const value of values) setFlagsFromString(value);
}
setFlags(tunedFlags.map(([whileStarting]) => whileStarting));

const module = { exports: {} as { default: () => Promise<void> } };
// Packages find their own files relative to a folder one level below their
// root (lib/, src/), so __dirname is `<bundle dir>/lib`, and such files are
// copied into the bundle's folder (`bundleAssets` in scripts/build.ts).
script.runInThisContext()(module.exports, createRequire(filename), module, filename, `${dirname(filename)}/lib`, pathToFileURL(filename).href);

await module.exports.default();
setFlags(tunedFlags.map(([, afterwards]) => afterwards));
if (writingCache) {
  writeFileSync(cacheFile, script.createCachedData());
  process.exit(0);
}
