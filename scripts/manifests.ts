/**
 * Generates the Kubernetes and Knative manifests under `knative/` and the
 * `compose.yaml` from the function registry and the configuration defaults,
 * so a function cannot be deployed differently from how it is bundled
 * (the generators are in scripts/manifests/).
 *
 *   npm run manifests              rewrite knative/ and compose.yaml
 *   npm run manifests -- --check   exit 1 when they are stale
 *   npm run manifests -- --list    print the registry's function names
 *
 * `knative/functions/<name>.yaml` holds one Knative Service each, one
 * document per file, because `kn service apply -f` reads only the first.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { functionRegistry } from '../functions/registry.js';
import { composeFile, kubernetesFiles } from './manifests/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every generated file, path relative to the repository root → contents. */
export function generateManifests(): Map<string, string> {
  return new Map([...kubernetesFiles(), ['compose.yaml', composeFile()]]);
}

/** Files generation owns: everything it writes, and any file left in knative/functions/ by a function since removed. */
function ownedFiles(): string[] {
  const functionsDir = join(root, 'knative/functions');
  let leftovers: string[] = [];
  try {
    leftovers = readdirSync(functionsDir).map((file) => `knative/functions/${file}`);
  } catch {
    // not generated yet
  }
  return [...new Set([...generateManifests().keys(), ...leftovers])];
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return undefined;
  }
}

/** Paths of generated files that differ from a fresh generation, are missing, or should not exist. */
export function staleManifests(): string[] {
  const fresh = generateManifests();
  return ownedFiles()
    .filter((path) => fresh.get(path) !== readOrUndefined(path))
    .sort();
}

/** Writes every generated file and removes the ones no function needs any more. */
export function writeManifests(): void {
  const fresh = generateManifests();
  for (const path of ownedFiles()) {
    const contents = fresh.get(path);
    if (contents === undefined) {
      rmSync(join(root, path));
      continue;
    }
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), contents);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--list')) {
    for (const entry of functionRegistry) console.log(entry.name);
  } else if (process.argv.includes('--check')) {
    const stale = staleManifests();
    if (stale.length > 0) {
      console.error(`manifests are stale (${stale.join(', ')}): run npm run manifests`);
      process.exit(1);
    }
  } else {
    writeManifests();
  }
}
