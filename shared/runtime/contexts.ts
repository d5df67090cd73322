/** Creates each service context once, however many of its functions a process hosts. */
import type { AnyFunction, ServiceContext } from './function.js';
import type { Runtime } from './function.js';

export interface ServiceContexts {
  /** The context created for `fn`'s service. */
  of(fn: AnyFunction): unknown;
  /** Resolves when every service is ready. */
  ready(): Promise<void>;
}

export async function createServiceContexts(functions: readonly AnyFunction[], runtime: Runtime): Promise<ServiceContexts> {
  const contexts = new Map<ServiceContext<unknown>, unknown>();
  for (const fn of functions) {
    if (!contexts.has(fn.context)) contexts.set(fn.context, await fn.context.create(runtime));
  }
  return {
    of: (fn) => contexts.get(fn.context),
    async ready() {
      for (const [definition, context] of contexts) await definition.ready?.(context);
    },
  };
}
