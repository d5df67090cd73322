/**
 * Node 20's `AsyncResource#bind`, which `node:http2` calls for every request
 * a client session makes (so for every gRPC call), gives the function it
 * returns a deprecated `asyncResource` accessor built with `util.deprecate`,
 * and `deprecate` makes each new getter and setter the prototype of its
 * wrapper. V8 keeps a prototype's map and dictionaries in the old generation,
 * so everything a call's bound function reaches (its HTTP/2 stream, the
 * call's objects) survived every scavenge as if live, was promoted, and
 * waited for a full collection. Under GraphQL at 500 requests a second the
 * gateway's thread promoted about 2 MB every 200 ms that way, and its
 * scavenges took about 12 ms instead of 4 (scripts/bench/LOG.md).
 *
 * Node 24 no longer touches the prototypes (nodejs/node#58218) and later
 * Node drops the accessor; on a Node whose bound functions still carry one
 * made that way, {@link bindAsLaterNodeDoes} binds as later Node does:
 * the same scope, `this`, arguments and `length`, without the accessor.
 *
 * @module
 */
import { AsyncResource } from 'node:async_hooks';

/** True when `AsyncResource#bind` gives its result an accessor whose getter has been made another function's wrapper (`util.deprecate` on Node 20). */
export function bindMakesPrototypes(bind: AsyncResource['bind'] = AsyncResource.prototype.bind): boolean {
  const resource = new AsyncResource('polaris-bind-probe', { requireManualDestroy: true });
  const getter = Object.getOwnPropertyDescriptor(bind.call(resource, () => undefined), 'asyncResource')?.get;
  resource.emitDestroy();
  return getter !== undefined && Object.getPrototypeOf(getter) !== Function.prototype;
}

type Bind = (this: AsyncResource, fn: (...args: unknown[]) => unknown, thisArg?: unknown) => unknown;

/** Replaces Node 20's `AsyncResource#bind` where {@link bindMakesPrototypes}; elsewhere leaves it as it is. Idempotent. */
export function bindAsLaterNodeDoes(): void {
  const original = AsyncResource.prototype.bind as unknown as Bind;
  if (!bindMakesPrototypes(AsyncResource.prototype.bind)) return;
  const bind: Bind = function (fn, thisArg) {
    // Not a function: the original's own error.
    if (typeof fn !== 'function') return original.call(this, fn, thisArg);
    const resource = this;
    const bound =
      thisArg === undefined
        ? function (this: unknown, ...args: unknown[]) {
            return resource.runInAsyncScope(fn, this, ...args);
          }
        : resource.runInAsyncScope.bind(resource, fn, thisArg);
    Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, value: fn.length, writable: false });
    return bound;
  };
  AsyncResource.prototype.bind = bind as unknown as AsyncResource['bind'];
}
