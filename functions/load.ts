/** Loads a registry entry's module, checking it exports the kind the registry says. */
import type { AnyFunction, FunctionEntry } from '../shared/runtime/index.js';

export async function loadFunction(entry: FunctionEntry): Promise<AnyFunction> {
  const module = (await import(/* @vite-ignore */ `./${entry.module}.js`)) as { default?: AnyFunction };
  const fn = module.default;
  if (!fn || fn.kind !== entry.kind) {
    throw new Error(`function ${entry.name}: functions/${entry.module} must export a ${entry.kind} function as default`);
  }
  return fn;
}
