import { AsyncLocalStorage, AsyncResource, executionAsyncId } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import './clients.js';
import { bindAsLaterNodeDoes, bindMakesPrototypes } from './http2-request-bind.js';

describe('AsyncResource#bind once gRPC clients are loaded', () => {
  it('no longer makes prototypes of new functions for each bound one', () => {
    expect(bindMakesPrototypes()).toBe(false);
  });

  it("still runs the function in the resource's scope, with the caller's this and arguments and the function's length", () => {
    bindAsLaterNodeDoes(); // a second time changes nothing
    const storage = new AsyncLocalStorage<string>();
    const { resource, bound } = storage.run('bound here', () => {
      const resource = new AsyncResource('test');
      const bound = resource.bind(function (this: unknown, a: number, b: number) {
        return { store: storage.getStore(), asyncId: executionAsyncId(), self: this, sum: a + b };
      });
      return { resource, bound };
    });
    const self = {};
    expect(storage.run('called here', () => bound.call(self, 2, 3))).toEqual({ store: 'bound here', asyncId: resource.asyncId(), self, sum: 5 });
    expect(bound.length).toBe(2);

    const thisArg = { name: 'bound this' };
    // Node takes a this to bind as well (its typings leave it out).
    const bindWithThis = resource.bind.bind(resource) as unknown as <F>(fn: F, thisArg: unknown) => F;
    const withThis = bindWithThis(function (this: unknown, a: number) {
      return { self: this, a };
    }, thisArg);
    expect(withThis.call({}, 7)).toEqual({ self: thisArg, a: 7 });
    expect(withThis.length).toBe(1);
  });

  it('refuses what is not a function as Node does', () => {
    expect(() => new AsyncResource('test').bind('not a function' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('bindMakesPrototypes', () => {
  const withAccessor = (getter: () => unknown) =>
    function (this: AsyncResource, fn: () => unknown) {
      const bound = () => fn();
      Object.defineProperty(bound, 'asyncResource', { get: getter, configurable: true, enumerable: true });
      return bound;
    } as unknown as AsyncResource['bind'];

  it("is true of Node 20's bind, whose accessor's getter is another function's wrapper", () => {
    const getter = function () {
      return undefined;
    };
    // What util.deprecate does to the wrapper it returns.
    const wrapper = () => getter();
    Object.setPrototypeOf(wrapper, getter);
    expect(bindMakesPrototypes(withAccessor(wrapper))).toBe(true);
  });

  it('is false of a plain accessor, and of none', () => {
    expect(bindMakesPrototypes(withAccessor(() => undefined))).toBe(false);
    expect(bindMakesPrototypes(function (this: AsyncResource, fn: () => unknown) {
      return () => fn();
    } as unknown as AsyncResource['bind'])).toBe(false);
  });
});
