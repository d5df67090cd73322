/**
 * How many hidden classes (V8 maps) a set of objects has. Objects made the
 * same way should share one, so that making them is cheap and reading them is
 * monomorphic; on Node 20 a literal that adds keys after a spread gets a map
 * of its own each time (scripts/bench/LOG.md).
 *
 * V8's own check is natives syntax, allowed here at run time: the flag
 * applies to code compiled after it, and enables nothing else.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

/** The number of distinct hidden classes among `objects`. */
export function hiddenClassCount(objects: readonly object[]): number {
  const seen: object[] = [];
  for (const object of objects) if (!seen.some((other) => haveSameMap(other, object))) seen.push(object);
  return seen.length;
}
