// Checks that PostgreSQL and Redis answer before `npm run dev` starts anything, and starts a local server
// that is installed but stopped. Every problem ends in ONE line: which service, where we looked, what to do.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_HOSTS, pgProbe, redisProbe, safeUrl, sleep } from './service-probes.mjs';
import {
  aptInstall,
  canInstall,
  has,
  INSTALL_HINTS,
  postgresInstalled,
  setUpInstalledPostgres,
} from './system-packages.mjs';

const WRAP = fileURLToPath(new URL('./dev-wrap.mjs', import.meta.url));
/** The maintenance database: the app's own database may not exist yet (the web process creates it). */
const adminUrl = (databaseUrl) => {
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  return admin.toString();
};
const pgAdminProbe = (databaseUrl) => pgProbe(adminUrl(databaseUrl));

// A server that answered but rejected the login: starting anything would not help.
const pgLoginRejected = (err) => /^28/.test(err?.code ?? '') || /password must be a string/.test(err?.message ?? '');
/** What to do about a refused login: a stock PostgreSQL asks for a password on 127.0.0.1. */
const pgLoginHelp = (where, err, databaseUrl) =>
  `PostgreSQL at ${where} answered but refused us (${err.message}): on a stock PostgreSQL (password authentication on 127.0.0.1) make a role, "sudo -u postgres createuser --createdb --pwprompt intake", and set DATABASE_URL=postgres://intake:<password>@${where}/intake in .env (now ${safeUrl(databaseUrl)})`;
const redisLoginRejected = (err) => /NOAUTH|WRONGPASS|invalid password|AUTH/i.test(err?.message ?? '');

/** Debian/Ubuntu clusters on this port that are down: `pg_lsclusters` prints "ver cluster port status ...". */
function stoppedPgCluster(port) {
  if (!has('pg_lsclusters')) return null;
  const out = spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of out.split('\n')) {
    const [ver, cluster, p, status] = line.trim().split(/\s+/);
    if (Number(p) === port && status === 'down') return { ver, cluster };
  }
  return null;
}

async function ensurePostgres(databaseUrl, log) {
  let err = await pgAdminProbe(databaseUrl);
  if (!err) return true;
  const u = new URL(databaseUrl);
  const where = `${u.hostname}:${u.port || 5432}`;
  const local = LOCAL_HOSTS.has(u.hostname);
  if (pgLoginRejected(err)) {
    log(pgLoginHelp(where, err, databaseUrl));
    return false;
  }
  const cluster = local ? stoppedPgCluster(Number(u.port || 5432)) : null;
  if (cluster) {
    log(
      `PostgreSQL ${cluster.ver}/${cluster.cluster} is installed but stopped; starting it (pg_ctlcluster ${cluster.ver} ${cluster.cluster} start)`,
    );
    const res = spawnSync('pg_ctlcluster', [cluster.ver, cluster.cluster, 'start'], { encoding: 'utf8' });
    for (let i = 0; i < 20 && err; i++) {
      await sleep(500);
      err = await pgAdminProbe(databaseUrl);
    }
    if (!err) return true;
    if (pgLoginRejected(err)) {
      log(pgLoginHelp(where, err, databaseUrl));
      return false;
    }
    log(
      `PostgreSQL is not reachable at ${where} and could not be started (${(res.stderr || err.message).trim()}): run "sudo pg_ctlcluster ${cluster.ver} ${cluster.cluster} start", or set DATABASE_URL`,
    );
    return false;
  }
  if (local && !postgresInstalled() && canInstall()) {
    const started = Date.now();
    log(`PostgreSQL is not installed; installing it from the distribution's packages (apt-get install postgresql)`);
    const failed = aptInstall(['postgresql']) ?? setUpInstalledPostgres(log);
    for (let i = 0; i < 20 && !failed && err; i++) {
      await sleep(500);
      err = await pgAdminProbe(databaseUrl);
    }
    if (!err) {
      log(`PostgreSQL installed and running in ${Math.round((Date.now() - started) / 1000)} s`);
      return true;
    }
    log(`PostgreSQL could not be installed or started (${failed ?? err.message}): ${INSTALL_HINTS.postgresql}`);
    return false;
  }
  if (local && !postgresInstalled() && !has('pg_lsclusters') && !has('psql')) {
    log(
      `PostgreSQL is not reachable at ${where} and is not installed here: install it (Debian/Ubuntu: "sudo apt-get install -y postgresql"; macOS: "brew install postgresql@16 && brew services start postgresql@16"; or Docker: "docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16"), or set DATABASE_URL`,
    );
    return false;
  }
  log(
    `PostgreSQL is not reachable at ${where} (${err.message}): start it ("sudo systemctl start postgresql" or "brew services start postgresql@16"), or set DATABASE_URL (now ${safeUrl(databaseUrl)})`,
  );
  return false;
}

async function ensureRedis(redisUrl, log) {
  let { err, policy } = await redisProbe(redisUrl);
  const u = new URL(redisUrl);
  const port = Number(u.port || 6379);
  const where = `${u.hostname}:${port}`;
  if (err && redisLoginRejected(err)) {
    log(
      `Redis at ${where} answered but refused us (${err.message}): fix the password in REDIS_URL (${safeUrl(redisUrl)})`,
    );
    return { ok: false, owned: null };
  }
  let owned = null;
  if (err && LOCAL_HOSTS.has(u.hostname) && !has('redis-server') && canInstall()) {
    log(`Redis is not installed; installing it from the distribution's packages (apt-get install redis-server)`);
    const failed = aptInstall(['redis-server']);
    if (failed) log(`Redis could not be installed (${failed}): ${INSTALL_HINTS['redis-server']}`);
  }
  if (err && LOCAL_HOSTS.has(u.hostname) && has('redis-server')) {
    // A development Redis of dev's own, with the settings BullMQ needs. It runs as dev's child (through
    // dev-wrap.mjs) and stops when dev stops, however dev ends; its data stays in dir for the next run.
    const dir = join(tmpdir(), `intake-dev-redis-${port}`);
    mkdirSync(dir, { recursive: true });
    log(`Redis is installed but not running on ${where}; starting one for this run (data in ${dir})`);
    owned = spawn(
      process.execPath,
      [
        WRAP,
        'redis-server',
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--daemonize',
        'no',
        '--dir',
        dir,
        '--logfile',
        join(dir, 'redis.log'),
        '--appendonly',
        'yes',
        '--maxmemory-policy',
        'noeviction',
      ],
      // Its own process group: a terminal's Ctrl-C reaches every process of dev's group at once, and a Redis
      // that stopped then would leave the worker and poller waiting for it until their shutdown timeout. dev
      // stops it after them; dev-wrap stops it when dev is gone (its stdin closes).
      { stdio: ['pipe', 'ignore', 'pipe'], detached: true },
    );
    let stderr = '';
    owned.stderr.on('data', (d) => (stderr += d));
    for (let i = 0; i < 40 && err && owned.exitCode === null; i++) {
      await sleep(250);
      ({ err, policy } = await redisProbe(redisUrl));
    }
    if (err) {
      owned.kill('SIGTERM');
      log(
        `Redis is not reachable at ${where} and could not be started (${(stderr || err.message).trim()}; log ${join(dir, 'redis.log')}): run "redis-server", or set REDIS_URL`,
      );
      return { ok: false, owned: null };
    }
  }
  if (err) {
    const install = LOCAL_HOSTS.has(u.hostname)
      ? 'install and start it (Debian/Ubuntu: "sudo apt-get install -y redis-server"; macOS: "brew install redis && brew services start redis"; or Docker: "docker run -d -p 6379:6379 redis:7")'
      : 'start it';
    log(`Redis is not reachable at ${where} (${err.message}): ${install}, or set REDIS_URL (now ${safeUrl(redisUrl)})`);
    return { ok: false, owned: null };
  }
  if (policy && policy !== 'noeviction') {
    log(
      `warning: Redis at ${where} has maxmemory-policy ${policy}; BullMQ needs noeviction or queued jobs can vanish ("redis-cli config set maxmemory-policy noeviction")`,
    );
  }
  return { ok: true, owned };
}

/**
 * As root on Debian/Ubuntu: every package this run lacks (PostgreSQL and Redis when they are local and not
 * answering, plus `alsoNeeded`: { pkg, present }), installed with ONE apt-get, so a fresh machine pays for one
 * package index download instead of one per service. Elsewhere nothing happens here; each check says its line.
 */
async function installMissing({ databaseUrl, redisUrl, log, alsoNeeded }) {
  if (!canInstall()) return;
  const missing = [];
  if (LOCAL_HOSTS.has(new URL(databaseUrl).hostname) && !postgresInstalled() && (await pgAdminProbe(databaseUrl)))
    missing.push('postgresql');
  if (
    redisUrl &&
    LOCAL_HOSTS.has(new URL(redisUrl).hostname) &&
    !has('redis-server') &&
    (await redisProbe(redisUrl)).err
  )
    missing.push('redis-server');
  for (const { pkg, present } of alsoNeeded) if (!present) missing.push(pkg);
  if (missing.length === 0) return;
  const started = Date.now();
  log(`installing ${missing.join(', ')} from the distribution's packages (apt-get install; a minute or a few)`);
  const failed = aptInstall(missing) ?? (missing.includes('postgresql') ? setUpInstalledPostgres(log) : null);
  // A failure is reported by the service's own check below, with its install command.
  if (failed) log(`apt-get install ${missing.join(' ')} failed: ${failed}`);
  else log(`installed ${missing.join(', ')} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/**
 * Checks both services (starting local ones where possible). `ok` is true when both answer; `owned` lists
 * the servers started for this run, which the caller stops when it ends.
 */
export async function ensureServices({ databaseUrl, redisUrl, log, alsoNeeded = [] }) {
  // A Sentinel set or a Cluster (redis-sentinel://, redis-cluster://) is someone else's to run: the processes connect
  // to it and report it on /readyz; only one server is checked and started here.
  const single = /^rediss?:\/\//i.test(redisUrl);
  if (!single) log('REDIS_URL names a Sentinel set or a Redis Cluster: not checked or started here');
  await installMissing({ databaseUrl, redisUrl: single ? redisUrl : null, log, alsoNeeded });
  const [pgOk, redis] = await Promise.all([
    ensurePostgres(databaseUrl, log),
    single ? ensureRedis(redisUrl, log) : { ok: true },
  ]);
  return { ok: pgOk && redis.ok, owned: redis.owned ? [redis.owned] : [] };
}
