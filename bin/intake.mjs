#!/usr/bin/env node
// The `intake` command. It runs the compiled CLI in dist/ (built by `npm run build`, and by `npm install` through the
// `prepare` script, scripts/build-if-stale.mjs, when a source is newer than dist/) when that build is at least as new
// as every source file; otherwise (no build, or sources changed since) it runs the TypeScript source through tsx, a
// dependency, so it never runs a stale build. Starting from dist/ takes a fraction of a second; through tsx, which
// compiles as it loads, a few seconds. NODE_ENV=production runs dist/ whenever it exists (as before);
// INTAKE_FROM_SOURCE=1 always runs the source.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = join(root, 'dist/src/cli/index.js');
const source = join(root, 'src/cli/index.ts');

/** Newest modification time (ms) of the .ts files under `dir`, tests excluded; 0 when there are none. */
function newestSource(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIsFresh() {
  if (process.env.INTAKE_FROM_SOURCE === '1' || !existsSync(compiled)) return false;
  if (process.env.NODE_ENV === 'production') return true;
  if (!existsSync(source)) return true; // an installed package without sources
  const built = statSync(compiled).mtimeMs;
  return ['src', 'migrations'].every((dir) => newestSource(join(root, dir)) <= built);
}

let entry;
if (buildIsFresh()) {
  entry = pathToFileURL(compiled).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = pathToFileURL(source).href;
}
const { run } = await import(entry);
process.exitCode = await run(process.argv.slice(2));
