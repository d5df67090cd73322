/**
 * Files a function reads at run time from an npm package (GraphiQL's page,
 * the fonts an invoice embeds). `npm run build` copies them beside the
 * function's bundle (scripts/build.ts), since a deployed bundle has no
 * node_modules; run from source, they are read where npm installed them.
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface PackageFiles<Name extends string> {
  /** The package's folder holding them, as a module path: `mercurius/static`. */
  packageDir: string;
  /** Their folder beside the bundle: `static`. */
  bundleDir: string;
  /** Each file's name, the same in both folders. */
  files: Record<Name, string>;
}

/**
 * The path of each file: the bundle's copies when all of them are there,
 * else the package's. Throws when one cannot be read, so that a function
 * missing a file fails at start rather than on the request that needs it.
 *
 * @param moduleUrl the caller's `import.meta.url`, which in a bundle is the bundle's.
 */
export function packageFilePaths<Name extends string>(files: PackageFiles<Name>, moduleUrl: string): Record<Name, string> {
  const names = Object.keys(files.files) as Name[];
  const inBundle = Object.fromEntries(names.map((name) => [name, fileURLToPath(new URL(`./${files.bundleDir}/${files.files[name]}`, moduleUrl))])) as Record<Name, string>;
  if (Object.values<string>(inBundle).every(readable)) return inBundle;
  const installed = createRequire(moduleUrl);
  const inPackage = Object.fromEntries(names.map((name) => [name, installed.resolve(`${files.packageDir}/${files.files[name]}`)])) as Record<Name, string>;
  for (const path of Object.values<string>(inPackage)) accessSync(path, constants.R_OK);
  return inPackage;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
