#!/usr/bin/env node
// `npm run dev [-- --with-mailbox]`: checks its ports, PostgreSQL and Redis, then runs web, worker and poller
// from source (tsx) in one terminal, each log line pretty-printed and prefixed with its process. Ctrl-C stops
// them all cleanly; whatever ends dev (even SIGKILL), the processes it started end with it (dev-child.mjs).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { prettyFactory } from 'pino-pretty';
import { register } from 'tsx/esm/api';
import {
  DEFAULT_DEV_IMAP_PORT,
  DEFAULT_DEV_SMTP_PORT,
  DEV_MAILBOX_USER,
  mailboxPackages,
  startDevMailbox,
} from './dev-mailbox.mjs';
import { ensureServices } from './dev-services.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const say = (line) => console.log(`${paint('1', 'intake dev')} ${line}`);
const args = process.argv.slice(2);
const withMailbox = args.includes('--with-mailbox');
const unknown = args.filter((a) => a !== '--with-mailbox');
if (unknown.length > 0) {
  say(`unknown option ${unknown[0]} (npm run dev [-- --with-mailbox])`);
  process.exit(2);
}

register();
const { loadConfig, loadConfigFromEnvironment } = await import('../src/config.ts');
let config;
let mailboxPorts;
try {
  // The same parser the processes use: a bad .env fails here with its one clear line.
  config = loadConfigFromEnvironment();
  if (withMailbox) {
    mailboxPorts = {
      imap: Number(process.env.DEV_IMAP_PORT || DEFAULT_DEV_IMAP_PORT),
      smtp: Number(process.env.DEV_SMTP_PORT || DEFAULT_DEV_SMTP_PORT),
    };
    // The try-out mailbox replaces any mailbox and SMTP server of .env for this run.
    Object.assign(process.env, {
      IMAP_URL: `imap://${encodeURIComponent(DEV_MAILBOX_USER)}:x@127.0.0.1:${mailboxPorts.imap}/INBOX`,
      IMAP_URLS: '',
      SMTP_URL: `smtp://127.0.0.1:${mailboxPorts.smtp}`,
      MAIL_FROM: DEV_MAILBOX_USER,
      REPLY_ADDRESS: DEV_MAILBOX_USER,
    });
    config = loadConfig(process.env);
  }
} catch (err) {
  say(err.message);
  process.exit(1);
}

// Every port this run needs, checked before anything starts: a second `npm run dev` stops here.
const PORTS = [
  { port: config.port, host: config.host, what: 'web (PORT)' },
  { port: config.workerHealthPort, host: '0.0.0.0', what: 'worker health and metrics (WORKER_HEALTH_PORT)' },
  { port: config.pollerHealthPort, host: '0.0.0.0', what: 'poller health and metrics (POLLER_HEALTH_PORT)' },
  ...(mailboxPorts
    ? [
        { port: mailboxPorts.imap, host: '127.0.0.1', what: 'try-out IMAP server (DEV_IMAP_PORT)' },
        { port: mailboxPorts.smtp, host: '127.0.0.1', what: 'try-out SMTP catcher (DEV_SMTP_PORT)' },
      ]
    : []),
].filter((p) => p.port > 0);
const portFree = ({ port, host }) =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err) => resolve(err.code !== 'EADDRINUSE' && err.code !== 'EACCES'));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
const taken = [];
for (const p of PORTS) if (!(await portFree(p))) taken.push(p);
for (const p of taken)
  say(
    `port ${p.port} for ${p.what} is taken (another "npm run dev" running?): stop what holds it, or set another port in .env`,
  );
if (taken.length > 0) process.exit(1);

const services = await ensureServices({
  databaseUrl: config.databaseUrl,
  redisUrl: config.redisUrl,
  log: say,
  // The try-out mailbox's Dovecot and its certificate tool come in the same apt-get as PostgreSQL and Redis.
  alsoNeeded: mailboxPorts ? mailboxPackages() : [],
});
/** Servers dev started for this run (Redis, the try-out mailbox): stopped after intake's processes. */
const owned = [...services.owned];
if (!services.ok) {
  for (const p of owned) p.kill('SIGTERM');
  process.exit(1);
}

let mailbox = null;
if (mailboxPorts) {
  try {
    mailbox = await startDevMailbox({ root, imapPort: mailboxPorts.imap, smtpPort: mailboxPorts.smtp, log: say });
  } catch (err) {
    say(err.message);
    for (const p of owned) p.kill('SIGTERM');
    process.exit(1);
  }
  owned.push(mailbox.dovecot);
  process.env.IMAP_URL = mailbox.imapUrl;
}

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
  // stdin is a pipe that only dev holds: dev-child.mjs ends the process when it closes (dev is gone).
  const child = spawn(process.execPath, ['--import', './scripts/dev-child.mjs', '--import', 'tsx', p.file], {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
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

/** A path relative to the repository when inside it (.intake-dev/sent), absolute otherwise. */
const shortPath = (p) => (relative(root, p).startsWith('..') ? p : relative(root, p));
const exited = (p) => p.exitCode !== null || p.signalCode !== null;

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
  // Then what they used: the mailbox and a Redis started for this run.
  await mailbox?.stop();
  for (const p of owned) if (!exited(p)) p.kill('SIGTERM');
  for (let i = 0; i < 150 && owned.some((p) => !exited(p)); i++) await new Promise((r) => setTimeout(r, 100));
  say('stopped');
  process.exit(exitCode);
}

let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    // A second Ctrl-C means "now": no more waiting for jobs to finish.
    if (++interrupts > 1) for (const child of children.values()) child.kill('SIGKILL');
    void stop(0);
  });
}

// Whoever started dev may die without a signal reaching it (npm killed with SIGKILL leaves dev under `sh`):
// dev then stops as on Ctrl-C. The parent, and under npm the parent's parent, are watched.
function parentOf(pid) {
  try {
    return (
      Number(
        readFileSync(`/proc/${pid}/stat`, 'utf8')
          .replace(/^.*\) /, '')
          .split(' ')[1],
      ) || null
    );
  } catch {
    return null;
  }
}
const firstParent = process.ppid;
const watched = [firstParent];
if (process.env.npm_lifecycle_event) {
  const grand = parentOf(firstParent);
  if (grand && grand > 1) watched.push(grand);
}
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
};
setInterval(() => {
  if (stopping) return;
  if (process.ppid !== firstParent || !watched.every(alive)) {
    say('the terminal or npm that started dev is gone; stopping');
    void stop(1);
  }
}, 500).unref();

/** Staff users who may sign in, in the database web has just migrated; null when it cannot tell. */
async function activeStaffUsers() {
  const client = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query('SELECT count(*)::int AS n FROM staff_users WHERE disabled_at IS NULL');
    return rows[0].n;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
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
    say(`web did not answer on http://127.0.0.1:${config.port}/healthz within 60 s`);
    await stop(1);
  }
} else if (!stopping) {
  for (const p of PROCESSES.slice(1)) start(p);
  const api = `http://localhost:${config.port}`;
  say(`staff inbox ${api}/  API ${api}/api  docs ${api}/swagger  health ${api}/readyz  metrics ${api}/metrics`);
  // A fresh database has no staff user, and the inbox at / has nobody to sign in: say how to make the first one.
  const staff = await activeStaffUsers();
  const firstUser = 'npx intake user create --email you@example.com --name "Your Name" --role admin';
  if (staff === 0) say(`no staff user yet: create the first one with ${firstUser} (it prints the password)`);
  else if (staff === null) say(`staff sign in at ${api}/; the first staff user is made with ${firstUser}`);
  else say(`${staff} staff user${staff === 1 ? '' : 's'} can sign in at ${api}/ (npx intake user list)`);
  if (config.workerHealthPort > 0 || config.pollerHealthPort > 0)
    say(
      `worker health and metrics on port ${config.workerHealthPort || 'off'}, poller on ${config.pollerHealthPort || 'off'}`,
    );
  say(
    config.adminUser && config.adminPassword
      ? `queue dashboard ${api}/admin/queues (ADMIN_USER / ADMIN_PASSWORD)`
      : 'queue dashboard off: set ADMIN_USER and ADMIN_PASSWORD in .env',
  );
  if (mailbox) {
    say(
      `try-out mailbox ${DEV_MAILBOX_USER} (IMAP 127.0.0.1:${mailboxPorts.imap}); send it mail with: npx intake send-test-mail --from ann@example.com --subject "Where is #12345?"  (or any SMTP client to 127.0.0.1:${mailboxPorts.smtp}; "npm run demo" sends samples)`,
    );
    say(`mail intake sends (acknowledgements, replies) is caught in ${shortPath(mailbox.sentDir)}/ as .eml files`);
  } else {
    say(
      config.mailboxes.length > 0
        ? `polling ${config.mailboxes.map((m) => m.key).join(', ')}`
        : 'no mailbox configured (set IMAP_URL in .env, or try "npm run dev -- --with-mailbox"): the API still serves; try "npm run demo" or "npx intake ingest <file.eml>"',
    );
  }
  say('Ctrl-C stops everything');
}
