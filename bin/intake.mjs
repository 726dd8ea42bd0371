#!/usr/bin/env node
// The `intake` command. With NODE_ENV=production and a build present (`npm run build`) it runs the
// compiled CLI; otherwise it runs the TypeScript source through tsx (a dependency), so `npx intake`
// works straight after `npm install` and never runs a stale build during development.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = `${root}dist/src/cli/index.js`;
const source = `${root}src/cli/index.ts`;
let entry;
if ((process.env.NODE_ENV === 'production' && existsSync(compiled)) || !existsSync(source)) {
  entry = pathToFileURL(compiled).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = pathToFileURL(source).href;
}
const { run } = await import(entry);
process.exitCode = await run(process.argv.slice(2));
