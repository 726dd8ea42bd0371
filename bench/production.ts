import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/**
 * Builds dist/ as `npm run build` does, so the benchmarks measure the code as it is now. They run what production
 * runs (the Procfile's `node bin/start.mjs <process>`), not the TypeScript through tsx: under tsx the same server
 * answered GET about 20 % slower and spent 8-13 % more CPU per text search (docs/search-and-bench.md).
 */
export function buildProduction(log: (line: string) => void): void {
  log('building dist/ (npm run build) ...');
  execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}

/** One production process (`web`, `worker` or `poller`), started as the Procfile starts it; `nodeArgs` go before the script (e.g. --cpu-prof). */
export function startProductionProcess(
  name: 'web' | 'worker' | 'poller',
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, resolve(root, 'bin/start.mjs'), name], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (!address || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}
