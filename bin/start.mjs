#!/usr/bin/env node
// `npm start [web|worker|poller]`: runs one production process from dist/ (build it with `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const name = process.argv[2] ?? 'web';
if (!['web', 'worker', 'poller'].includes(name)) {
  console.error(`intake: unknown process "${name}" (web, worker or poller)`);
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const file = `${root}dist/workers/${name}.js`;
if (!existsSync(file)) {
  console.error(`intake: ${file} is missing; run "npm run build" first`);
  process.exit(1);
}
await import(pathToFileURL(file).href);
