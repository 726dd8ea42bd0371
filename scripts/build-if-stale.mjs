#!/usr/bin/env node
// `npm install` (the `prepare` script): builds dist/ (the server with tsc, the staff inbox with esbuild) only when it
// is missing or older than one of its sources, so a repeated install takes a second instead of the half minute of
// a full build. `npm run build` always builds. The rule covers every file bin/intake.mjs compares (the .ts files
// of src/ and migrations/), so when this script leaves dist/ alone, `npx intake` runs that build, not the source.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const defaultRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Folders whose every file (unit tests aside) goes into dist/. */
export const SOURCE_DIRS = ['src', 'workers', 'migrations'];
/** Single files that change what the build writes. */
export const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build-web.mjs'];
/** What the two builds write last, or what bin/intake.mjs and the web process check: the build's age is theirs. */
export const BUILD_OUTPUTS = ['dist/src/cli/index.js', 'dist/web/app.js'];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The newest file under `dir` as [mtime, path], unit tests (*.spec.ts) excluded; [0, undefined] when none. */
function newestUnder(dir) {
  let newest = [0, undefined];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return newest;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const found = entry.isDirectory()
      ? newestUnder(path)
      : entry.name.endsWith('.spec.ts')
        ? [0, undefined]
        : [statSync(path).mtimeMs, path];
    if (found[0] > newest[0]) newest = found;
  }
  return newest;
}

/**
 * Why dist/ under `root` needs building, as one short phrase, or null when it is at least as new as every source.
 */
export function staleReason(root = defaultRoot) {
  let built = Infinity;
  for (const output of BUILD_OUTPUTS) {
    const time = mtime(join(root, output));
    if (time === undefined) return `${output} does not exist`;
    built = Math.min(built, time);
  }
  const candidates = [
    ...SOURCE_DIRS.map((dir) => newestUnder(join(root, dir))),
    ...SOURCE_FILES.map((file) => [mtime(join(root, file)) ?? 0, join(root, file)]),
  ];
  const [newest, path] = candidates.reduce((a, b) => (b[0] > a[0] ? b : a));
  return newest > built ? `${relative(root, path)} is newer than the build` : null;
}

function run(root, args) {
  const res = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

/** Builds dist/ under `root` exactly as `npm run build` does. */
export function build(root = defaultRoot) {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  run(root, [tsc, '-p', 'tsconfig.build.json']);
  run(root, [join(root, 'scripts/build-web.mjs')]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const reason = staleReason();
  if (reason === null) {
    console.log('intake: dist/ is up to date with its sources, not rebuilt (npm run build always builds)');
  } else {
    console.log(`intake: building dist/ (server and staff inbox, about half a minute): ${reason}`);
    build();
  }
}
