import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Chromium binary the browser tests drive (scripts/ensure-chromium.mjs found or installed it). */
    chromium: string;
  }
}

/**
 * Runs once before the browser tests: finds Chromium, installs Debian's package when it is missing and we are
 * root, and otherwise stops the run with the one line ensure-chromium printed (what to install).
 */
export default function setup(project: TestProject): void {
  const res = spawnSync(process.execPath, [resolve(import.meta.dirname, '../../scripts/ensure-chromium.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const path = res.stdout.trim();
  if (res.status !== 0 || !path) {
    const lines = res.stderr.trim().split('\n');
    throw new Error(lines[lines.length - 1] || 'ensure-chromium failed');
  }
  project.provide('chromium', path);
}
