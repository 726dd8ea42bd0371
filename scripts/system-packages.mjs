// Installs what intake needs from Debian's or Ubuntu's packages when they are missing, as the tests already did
// for Dovecot: only as root and where apt-get exists; elsewhere the caller prints the command to run.
// Package scripts are kept from starting system services (policy-rc.d): dev and the tests start what they
// need themselves, and a PostgreSQL cluster is started with pg_ctlcluster.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** True when this process may install packages itself: root on a machine with apt-get. */
export const canInstall = () => process.getuid?.() === 0 && has('apt-get');

/** The PostgreSQL server binaries of Debian's packages (/usr/lib/postgresql/<ver>/bin), newest first. */
export function postgresInstalled() {
  if (has('postgres') || has('pg_ctl')) return true;
  try {
    return readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`));
  } catch {
    return false;
  }
}

let updated = false;
/** apt-get install -y the packages; resolves to null when done, or the error text. */
export function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    if (!updated) {
      const up = spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
      if (up.status !== 0) return (up.stderr || 'apt-get update failed').trim().split('\n').pop();
      updated = true;
    }
    const res = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      env,
      encoding: 'utf8',
    });
    return res.status === 0 ? null : (res.stderr || 'apt-get install failed').trim().split('\n').pop();
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}

/**
 * After installing PostgreSQL here: local TCP connections are trusted, as intake's defaults expect
 * (postgres://postgres@127.0.0.1:5432), and the cluster is started. Only for a cluster this run installed.
 */
export function setUpInstalledPostgres(log) {
  const out = spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' }).stdout ?? '';
  const [ver, cluster] = out.trim().split('\n')[0]?.trim().split(/\s+/) ?? [];
  if (!ver || !cluster) return `no cluster was created (pg_lsclusters printed "${out.trim()}")`;
  const hba = `/etc/postgresql/${ver}/${cluster}/pg_hba.conf`;
  const text = readFileSync(hba, 'utf8');
  if (!text.includes('# intake development')) {
    writeFileSync(
      hba,
      `# intake development: local TCP connections need no password (set up by intake's scripts/system-packages.mjs)\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n${text}`,
    );
  }
  log?.(`PostgreSQL ${ver}/${cluster}: local TCP connections trusted (${hba}); starting it`);
  const res = spawnSync('pg_ctlcluster', [ver, cluster, 'start'], { encoding: 'utf8' });
  if (res.status !== 0 && !/already running/.test(res.stderr)) return res.stderr.trim();
  return null;
}

/** One line for a service that is missing here: what to run to install it. */
export const INSTALL_HINTS = {
  postgresql:
    'Debian/Ubuntu: "sudo apt-get install -y postgresql"; macOS: "brew install postgresql@16 && brew services start postgresql@16"; Docker: "docker compose up -d postgres"',
  'redis-server':
    'Debian/Ubuntu: "sudo apt-get install -y redis-server"; macOS: "brew install redis"; Docker: "docker compose up -d redis"',
  'dovecot-imapd': 'Debian/Ubuntu: "sudo apt-get install -y dovecot-imapd"; macOS: "brew install dovecot"',
  openssl: 'Debian/Ubuntu: "sudo apt-get install -y openssl"',
  chromium: 'Debian: "sudo apt-get install -y chromium"; Ubuntu: "sudo snap install chromium"; or any Chrome',
};
