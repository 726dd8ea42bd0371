#!/usr/bin/env node
// `npm run dev`: checks PostgreSQL and Redis, then runs web, worker and poller from source (tsx) in one
// terminal, each log line pretty-printed and prefixed with its process. Ctrl-C stops them all cleanly.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { prettyFactory } from 'pino-pretty';
import { register } from 'tsx/esm/api';
import { ensureServices } from './dev-services.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const say = (line) => console.log(`${paint('1', 'intake dev')} ${line}`);

register();
let config;
try {
  // The same parser the processes use: a bad .env fails here with its one clear line.
  const { loadConfigFromEnvironment } = await import('../src/config.ts');
  config = loadConfigFromEnvironment();
} catch (err) {
  say(err.message);
  process.exit(1);
}

if (!(await ensureServices({ databaseUrl: config.databaseUrl, redisUrl: config.redisUrl, log: say }))) process.exit(1);

const PROCESSES = [
  { name: 'web', file: 'workers/web.ts', color: '36' },
  { name: 'worker', file: 'workers/worker.ts', color: '35' },
  { name: 'poller', file: 'workers/poller.ts', color: '33' },
];
const width = Math.max(...PROCESSES.map((p) => p.name.length));
const pretty = prettyFactory({
  colorize: color,
  translateTime: 'SYS:HH:MM:ss',
  ignore: 'pid,hostname,name',
  singleLine: true,
});
const children = new Map();
let stopping = false;

function pipe(stream, prefix) {
  createInterface({ input: stream }).on('line', (line) => {
    let text = line;
    if (line.startsWith('{')) {
      try {
        text = pretty(JSON.parse(line)).replace(/\n$/, '');
      } catch {
        // Not a pino line after all: print it as it came.
      }
    }
    for (const l of text.split('\n')) process.stdout.write(`${prefix}${l}\n`);
  });
}

function start(p) {
  const child = spawn(process.execPath, ['--import', 'tsx', p.file], {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = paint(p.color, `${p.name.padEnd(width)} │ `);
  pipe(child.stdout, prefix);
  pipe(child.stderr, prefix);
  children.set(p.name, child);
  child.on('exit', (code, signal) => {
    children.delete(p.name);
    if (stopping) return;
    say(`${p.name} exited (${signal ?? `code ${code}`}); stopping the others`);
    void stop(code || 1);
  });
  return child;
}

async function stop(exitCode = 0) {
  if (stopping) return;
  stopping = true;
  // Each process handles SIGTERM itself: in-flight jobs finish (bounded), leases are released.
  for (const child of children.values()) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    say('processes did not stop in time; killing them');
    for (const child of children.values()) child.kill('SIGKILL');
  }, config.shutdownTimeoutMs + 10_000);
  deadline.unref();
  while (children.size > 0) await new Promise((r) => setTimeout(r, 100));
  say('stopped');
  process.exit(exitCode);
}

let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // A second Ctrl-C means "now": no more waiting for jobs to finish.
    if (++interrupts > 1) for (const child of children.values()) child.kill('SIGKILL');
    void stop(0);
  });
}

async function webReady(timeoutMs = 60_000) {
  const url = `http://127.0.0.1:${config.port}/healthz`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && children.has('web')) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

// The web process applies migrations; the worker and poller start once it serves, so they never see
// a database without its tables.
start(PROCESSES[0]);
if (!(await webReady())) {
  if (!stopping) {
    say(`web did not answer on http://127.0.0.1:${config.port}/healthz within 60 s (is PORT ${config.port} taken?)`);
    await stop(1);
  }
} else if (!stopping) {
  for (const p of PROCESSES.slice(1)) start(p);
  const api = `http://localhost:${config.port}`;
  say(`API ${api}/api  docs ${api}/swagger  health ${api}/readyz  metrics ${api}/metrics`);
  say(
    config.adminUser && config.adminPassword
      ? `queue dashboard ${api}/admin/queues (ADMIN_USER / ADMIN_PASSWORD)`
      : 'queue dashboard off: set ADMIN_USER and ADMIN_PASSWORD in .env',
  );
  say(
    config.mailboxes.length > 0
      ? `polling ${config.mailboxes.map((m) => m.key).join(', ')}`
      : 'no mailbox configured (set IMAP_URL in .env): the API still serves; try "npm run demo" or "npx intake ingest <file.eml>"',
  );
  say('Ctrl-C stops everything');
}
