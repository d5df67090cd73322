/**
 * Builds once, before the test files that use them (they run in parallel, so
 * none may build on its own): the functions' bundles, and the operator tool's
 * bundle in a directory removed when the run ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildAll } from '../scripts/build.js';
import { buildOperatorToolBundle } from './support/operator-tool.js';

export default async function setup(project: TestProject): Promise<() => void> {
  const toolDir = mkdtempSync(join(tmpdir(), 'polaris-tool-'));
  const [, toolBundle] = await Promise.all([buildAll(), buildOperatorToolBundle(toolDir)]);
  project.provide('operatorToolBundle', toolBundle);
  return () => rmSync(toolDir, { recursive: true, force: true });
}
