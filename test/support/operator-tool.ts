/**
 * The operator tool (scripts/polaris.ts) as a process of its own, as the
 * operator runs it, from one bundle run with plain Node. `npm run polaris`
 * (tsx) starts a second Node process and compiles the sources on every run, a
 * second or more on a loaded machine; the bundle starts in a tenth of that.
 * The same sources, so the same commands, output and exit codes.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The operator tool's bundle, built once by the global setup (test/global-setup.ts). */
    operatorToolBundle: string;
  }
}

/** What `npm run polaris` runs (package.json): the source the bundle is built from. */
export const operatorToolScript = 'tsx scripts/polaris.ts';

/**
 * Bundles scripts/polaris.ts into one ES module in `dir` and returns its path.
 * The global setup builds it once for every test file, in a directory its
 * teardown removes: a test file's own process is stopped before it could.
 */
export async function buildOperatorToolBundle(dir: string): Promise<string> {
  const outfile = join(dir, 'polaris.mjs');
  await build({ entryPoints: ['scripts/polaris.ts'], bundle: true, platform: 'node', target: 'node20', format: 'esm', outfile, logLevel: 'warning' });
  return outfile;
}

/**
 * The path of the operator tool's bundle. Fails when `npm run polaris` no
 * longer runs scripts/polaris.ts, so the tests never run something else.
 */
export function operatorToolBundle(): string {
  const script = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.polaris;
  if (script !== operatorToolScript) throw new Error(`npm run polaris runs '${script}', not '${operatorToolScript}': update test/support/operator-tool.ts`);
  return inject('operatorToolBundle');
}

export interface ToolRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npm run -s polaris -- <args>` (as the bundle) in `cwd`, with `env`
 * added to this process's environment (a variable set to undefined removed).
 */
export async function runOperatorTool(args: string[], env: Record<string, string | undefined>, cwd = process.cwd()): Promise<ToolRun> {
  const bundle = operatorToolBundle();
  const merged = { ...process.env, ...env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete merged[name];
  return new Promise((resolve) => {
    execFile(process.execPath, [bundle, ...args], { cwd, env: merged, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ status: err ? (typeof code === 'number' ? code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * A bash function `npm` for scripts that run the tool as the README shows it,
 * `npm run -s polaris -- <args>`: that, through the bundle (the same output
 * and exit code); any other npm command goes to npm itself.
 */
export function npmWithOperatorToolBundle(bundle: string): string {
  return `npm() {
  if [ "$#" -ge 4 ] && [ "$1" = run ] && { [ "$2" = -s ] || [ "$2" = --silent ]; } && [ "$3" = polaris ] && [ "$4" = -- ]; then
    shift 4
    ${JSON.stringify(process.execPath)} ${JSON.stringify(bundle)} "$@"
  else
    command npm "$@"
  fi
}
`;
}
