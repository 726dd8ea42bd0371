#!/usr/bin/env node
// `npm test` runs this before the integration tests: every service they need is checked, installed from
// Debian's packages when missing and we are root (apt-get), started when installed but stopped, and each one
// still missing is ONE line with the command that installs it; then it exits 1 and no test runs.
// The unit tests need none of this: `npm run test:unit`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findChromium } from './ensure-chromium.mjs';
import { LOCAL_HOSTS, pgProbe, redisProbe, safeUrl, sleep } from './service-probes.mjs';
import {
  aptInstall,
  canInstall,
  has,
  INSTALL_HINTS,
  postgresInstalled,
  setUpInstalledPostgres,
} from './system-packages.mjs';

const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';
const databaseUrl = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL || DEFAULT_TEST_REDIS_URL;
const say = (line) => console.log(`npm test: ${line}`);
const pgError = () => pgProbe(databaseUrl);
const redisError = async () => (await redisProbe(redisUrl)).err;

function stoppedClusters(port) {
  if (!has('pg_lsclusters')) return [];
  const out = spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, , p, status]) => Number(p) === port && status === 'down');
}

// 1. What is not installed, installed together (one apt-get update).
const pgLocal = LOCAL_HOSTS.has(new URL(databaseUrl).hostname);
const redisLocal = LOCAL_HOSTS.has(new URL(redisUrl).hostname);
const missing = [];
if (pgLocal && !postgresInstalled() && (await pgError())) missing.push('postgresql');
// Tests also start Redis servers of their own (outages), so the binary is needed even with a remote Redis.
if (!has('redis-server')) missing.push('redis-server');
if (!has('openssl')) missing.push('openssl');
const dovecotFound = spawnSync('sh', [fileURLToPath(new URL('./ensure-dovecot.sh', import.meta.url)), '--find-only'], {
  encoding: 'utf8',
});
if (dovecotFound.status !== 0) missing.push('dovecot-imapd');
// The browser tests (test/browser/) drive a real Chromium.
if (!findChromium() && !process.env.CHROMIUM_BIN) missing.push('chromium');
const problems = [];
if (missing.length > 0 && canInstall()) {
  const started = Date.now();
  say(`installing ${missing.join(', ')} from the distribution's packages (as root; a minute or a few)`);
  const err = aptInstall(missing);
  if (err) problems.push(`apt-get install ${missing.join(' ')} failed: ${err}`);
  else {
    say(`installed in ${Math.round((Date.now() - started) / 1000)} s`);
    if (missing.includes('postgresql')) {
      const setUp = setUpInstalledPostgres(say);
      if (setUp) problems.push(`PostgreSQL was installed but could not be started: ${setUp}`);
    }
    missing.length = 0;
  }
}
for (const pkg of missing) {
  const what = {
    postgresql: 'PostgreSQL',
    'redis-server': 'Redis',
    'dovecot-imapd': 'Dovecot (IMAP)',
    openssl: 'openssl',
    chromium: 'Chromium (the browser tests)',
  }[pkg];
  problems.push(`${what} is not installed: ${INSTALL_HINTS[pkg]}`);
}

// 2. PostgreSQL answers (a local cluster that is installed but stopped is started).
let err = missing.includes('postgresql') ? null : await pgError();
if (err && pgLocal && !/^28/.test(err.code ?? '') && !/password/i.test(err.message)) {
  for (const [ver, cluster] of stoppedClusters(Number(new URL(databaseUrl).port || 5432))) {
    if (!err) break;
    say(`PostgreSQL ${ver}/${cluster} is installed but stopped; starting it (pg_ctlcluster ${ver} ${cluster} start)`);
    spawnSync('pg_ctlcluster', [ver, cluster, 'start'], { stdio: 'ignore' });
    for (let i = 0; i < 20 && err; i++) {
      await sleep(500);
      err = await pgError();
    }
  }
}
if (err) {
  const passwordProblem = /^28/.test(err.code ?? '') || /password/i.test(err.message);
  problems.push(
    passwordProblem
      ? `PostgreSQL at ${safeUrl(databaseUrl)} refused the login (${err.message}): on a stock PostgreSQL (password authentication on 127.0.0.1) make a role that may create databases, "sudo -u postgres createuser --createdb --pwprompt intake", and set TEST_DATABASE_URL=postgres://intake:<password>@127.0.0.1:5432/postgres`
      : `PostgreSQL is not reachable at ${safeUrl(databaseUrl)} (${err.message}): start it ("sudo systemctl start postgresql"), or set TEST_DATABASE_URL`,
  );
}

// 3. Redis answers, or is local and installed: then the tests start one of their own on that port.
if (!missing.includes('redis-server')) {
  const rerr = await redisError();
  if (rerr && !redisLocal)
    problems.push(`Redis is not reachable at ${safeUrl(redisUrl)} (${rerr.message}): start it, or set TEST_REDIS_URL`);
  if (rerr && redisLocal) say(`Redis is not running at ${safeUrl(redisUrl)}; the tests start one of their own there`);
}

for (const p of problems) say(p);
if (problems.length > 0) {
  say('stopped before the integration tests; the unit tests need no service: npm run test:unit');
  process.exit(1);
}
