/**
 * What `patches/fastify+5.12.8.patch` changes in Fastify: semver is loaded
 * when a plugin names the Fastify versions it supports, not with Fastify
 * (about 3 ms of every HTTP function's start, scripts/bench/LOG.md), and
 * such a plugin's range is still checked. Each case runs in a Node process
 * of its own, so that nothing else has loaded semver before it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const execFileAsync = promisify(execFile);

/** Runs `script` (CommonJS) in a new Node process from the checkout; returns what it printed. */
async function inNode(script: string): Promise<unknown> {
  const { stdout } = await execFileAsync(process.execPath, ['-e', script], { cwd: root });
  return JSON.parse(stdout);
}

const semverLoaded = "Object.keys(require.cache).some((path) => /[\\\\/]node_modules[\\\\/]semver[\\\\/]/.test(path))";

describe('Fastify with patches/fastify+5.12.8.patch', () => {
  it('starts an app whose plugins name no Fastify versions without loading semver', async () => {
    const script = `
      const app = require('fastify')();
      app.register(async (scope) => scope.get('/', async () => 'ok'));
      app.ready().then(() => console.log(JSON.stringify({ semverLoaded: ${semverLoaded} })));`;
    expect(await inNode(script)).toEqual({ semverLoaded: false });
  });

  it("still refuses a plugin whose range leaves Fastify's version out, and takes one whose range holds it", async () => {
    // A plugin's metadata where fastify-plugin puts it.
    const script = `
      const fp = (fn, meta) => Object.assign(fn, { [Symbol.for('plugin-meta')]: meta });
      const app = require('fastify')();
      app.register(fp(async () => {}, { name: 'for-fastify-4', fastify: '4.x' }));
      app.ready().then(
        () => console.log(JSON.stringify({ refused: false })),
        (err) => {
          const next = require('fastify')();
          next.register(fp(async () => {}, { name: 'for-fastify-5', fastify: '5.x' }));
          next.ready().then(() => console.log(JSON.stringify({ refused: err.code, semverLoaded: ${semverLoaded} })));
        },
      );`;
    expect(await inNode(script)).toEqual({ refused: 'FST_ERR_PLUGIN_VERSION_MISMATCH', semverLoaded: true });
  });
});
