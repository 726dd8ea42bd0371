#!/usr/bin/env node
// The `intake` command. Runs the compiled CLI when `npm run build` has made one, else the TypeScript
// source through tsx (a dependency), so `npx intake` works straight after `npm install`.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = `${root}dist/src/cli/index.js`;
let entry;
if (process.env.INTAKE_FROM_SOURCE !== '1' && existsSync(compiled)) {
  entry = pathToFileURL(compiled).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = pathToFileURL(`${root}src/cli/index.ts`).href;
}
const { run } = await import(entry);
process.exitCode = await run(process.argv.slice(2));
