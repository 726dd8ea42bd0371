import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/**
 * The checkout whose processes the benchmarks start: this one, or the one BENCH_APP_DIR names (with its own
 * `npm ci` done), so that one harness can measure two versions of intake side by side.
 */
export const appRoot = resolve(process.env.BENCH_APP_DIR ?? resolve(import.meta.dirname, '..'));

/**
 * Builds dist/ of the app checkout as `npm run build` does, so the benchmarks measure the code as it is now. They
 * run what production runs (the Procfile's `node bin/start.mjs <process>`), not the TypeScript through tsx, which
 * is slower and would measure tsx too.
 */
export function buildProduction(log: (line: string) => void): void {
  log(`building dist/ of ${appRoot} (npm run build) ...`);
  execFileSync(process.execPath, [resolve(appRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: appRoot,
    stdio: 'inherit',
  });
}

/** Runs the app checkout's CLI (`intake <args>`, from dist/) and returns what it printed on stdout. */
export function runAppCli(args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, [resolve(appRoot, 'bin/intake.mjs'), ...args], {
    cwd: appRoot,
    // Production refuses MESSAGE_ID_SECRET's development default (src/config.ts).
    env: { ...process.env, NODE_ENV: 'production', MESSAGE_ID_SECRET: 'bench-message-id-secret', ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** One production process (`web`, `worker` or `poller`), started as the Procfile starts it; `nodeArgs` go before the script (e.g. --cpu-prof). */
export function startProductionProcess(
  name: 'web' | 'worker' | 'poller',
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, resolve(appRoot, 'bin/start.mjs'), name], {
    cwd: appRoot,
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
