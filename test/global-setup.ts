/**
 * Builds the bundles once before the test files that start them (they run in
 * parallel, so none may build on its own).
 */
import { buildAll } from '../scripts/build.js';

export default async function setup(): Promise<void> {
  await buildAll();
}
