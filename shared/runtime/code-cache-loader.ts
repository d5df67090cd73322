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
const { readFileSync, writeFileSync } = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
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
const module = { exports: {} as { default: () => Promise<void> } };
// Packages find their own files relative to a folder one level below their
// root (lib/, src/), so __dirname is `<bundle dir>/lib`, and such files are
// copied into the bundle's folder (`bundleAssets` in scripts/build.ts).
script.runInThisContext()(module.exports, createRequire(filename), module, filename, `${dirname(filename)}/lib`, pathToFileURL(filename).href);

await module.exports.default();
if (writingCache) {
  writeFileSync(cacheFile, script.createCachedData());
  process.exit(0);
}
