import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import type { MailboxConfig, MarkAction } from '../../src/config.js';

const run = promisify(execFile);

/**
 * A throw-away Dovecot for the integration tests: its own configuration, mail and sockets in a temp dir,
 * listening on free 127.0.0.1 ports (one plain IMAP, one IMAPS with a self-signed certificate).
 * Any user name logs in with DOVECOT_PASSWORD, so each test file simply picks a user of its own.
 *
 * Root (CI, this machine): Dovecot refuses mail access as uid 0, so mail is owned by `nobody` and its
 * helper processes run as Debian's `dovecot`/`dovenull` users. Not root: everything runs as the current
 * user (Dovecot only needs ports above 1024 and a writable temp dir); install `dovecot-imapd` first.
 */
export const DOVECOT_PASSWORD = 'intake-test-password';

/** What the tests need to reach the server: passed from global setup to test files via provide/inject. */
export interface DovecotInfo {
  host: string;
  port: number;
  tlsPort: number;
  password: string;
  dir: string;
}

export interface DovecotServer extends DovecotInfo {
  stop(): Promise<void>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** null when Dovecot could not be started; the message says why. */
    dovecot: DovecotInfo | null;
    dovecotError: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

async function waitForGreeting(port: number, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((done) => {
      const sock = connect(port, '127.0.0.1');
      sock.setTimeout(1000);
      sock.once('data', (d) => {
        sock.destroy();
        done(d.toString().startsWith('* OK'));
      });
      sock.once('error', () => done(false));
      sock.once('timeout', () => {
        sock.destroy();
        done(false);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Dovecot did not answer on port ${port} within ${timeoutMs} ms; log:\n${log()}`);
}

/** Finds (or, as root, installs) Dovecot with scripts/ensure-dovecot.sh and returns the binary path. */
export async function ensureDovecot(): Promise<string> {
  const script = resolve(import.meta.dirname, '../../scripts/ensure-dovecot.sh');
  try {
    const { stdout } = await run('sh', [script], { timeout: 300_000 });
    return stdout.trim().split('\n').pop()!;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(stderr || `ensure-dovecot.sh failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Dovecot checking OAuth2 access tokens itself (its oauth2 passdb, XOAUTH2 and OAUTHBEARER): every token is sent to
 * `introspectionUrl` (RFC 7662, POST, the URL's user:password authenticate Dovecot as a client of the OAuth2 server),
 * and the login succeeds when the answer is `active: true` and its `usernameAttribute` equals the IMAP user.
 * Password logins keep working for the test helpers (plain and login mechanisms only).
 */
export interface DovecotOAuth2Options {
  introspectionUrl: string;
  usernameAttribute: string;
}

function oauth2Config(
  dir: string,
  oauth2: DovecotOAuth2Options | undefined,
): { mechanisms: string; passdb: string; anvil: string } {
  const staticPassdb = `passdb {
  driver = static
  args = password=${DOVECOT_PASSWORD}${oauth2 ? '\n  mechanisms = plain login' : ''}
}`;
  if (!oauth2) return { mechanisms: 'plain login', passdb: staticPassdb, anvil: '' };
  writeFileSync(
    join(dir, 'dovecot-oauth2.conf.ext'),
    `introspection_mode = post
introspection_url = ${oauth2.introspectionUrl}
force_introspection = yes
username_attribute = ${oauth2.usernameAttribute}
active_attribute = active
active_value = true
`,
  );
  return {
    mechanisms: 'plain login xoauth2 oauthbearer',
    // Every test login comes from 127.0.0.1: Dovecot's penalty for an address with failed logins (2 s doubling to
    // 15 s before each later attempt) would let the short-lived test tokens expire before Dovecot looks at them.
    anvil: '  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n',
    passdb: `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${dir}/dovecot-oauth2.conf.ext
}
${staticPassdb}`,
  };
}

function config(dir: string, port: number, tlsPort: number, oauth2?: DovecotOAuth2Options, extraConfig = ''): string {
  const auth = oauth2Config(dir, oauth2);
  const root = userInfo().uid === 0;
  const me = userInfo();
  const mailUid = root ? 65534 : me.uid;
  const mailGid = root ? 65534 : me.gid;
  const dh = existsSync('/usr/share/dovecot/dh.pem') ? 'ssl_dh = </usr/share/dovecot/dh.pem' : '';
  return `# Generated by test/helpers/dovecot.ts for one test run.
instance_name = intake-test-${port}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = ${root ? 'dovecot' : me.username}
default_internal_group = ${root ? 'dovecot' : me.username}
default_login_user = ${root ? 'dovenull' : me.username}
first_valid_uid = 1
first_valid_gid = 1
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
${dh}
# Plain logins are allowed on the plain port (it also offers STARTTLS, as real servers on 143 do).
disable_plaintext_auth = no
auth_mechanisms = ${auth.mechanisms}
${auth.passdb}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${dir}/home/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort}
    ssl = yes
  }
}
service anvil {
  chroot =
${auth.anvil}}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
${extraConfig}
`;
}

/**
 * Starts Dovecot (`dovecot -F -c <conf>`) and resolves once the plain port answers with a greeting. With `oauth2`, it
 * also accepts OAuth2 access tokens (DovecotOAuth2Options). `extraConfig` is appended to the generated configuration
 * (a benchmark's process and connection limits; a later setting overrides an earlier one).
 */
export async function startDovecot(
  options: { oauth2?: DovecotOAuth2Options; extraConfig?: string } = {},
): Promise<DovecotServer> {
  const bin = await ensureDovecot();
  const dir = mkdtempSync(join(tmpdir(), 'intake-dovecot-'));
  // Dovecot's unprivileged helper processes must be able to reach their sockets under dir.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'home'));
  if (userInfo().uid === 0) chownSync(join(dir, 'home'), 65534, 65534);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ]);
  const port = await freePort();
  const tlsPort = await freePort();
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(conf, config(dir, port, tlsPort, options.oauth2, options.extraConfig));
  const log = () => {
    try {
      return readFileSync(join(dir, 'dovecot.log'), 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const child: ChildProcess = spawn(bin, ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await Promise.race([
      waitForGreeting(port, 15_000, log),
      exited.then(() => {
        throw new Error(`Dovecot exited at start: ${stderr.trim() || log()}`);
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    host: '127.0.0.1',
    port,
    tlsPort,
    password: DOVECOT_PASSWORD,
    dir,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The test run's Dovecot (from global setup); throws the reason when it could not be started. */
export async function testDovecot(): Promise<DovecotInfo> {
  const { inject } = await import('vitest');
  const info = inject('dovecot');
  if (!info) throw new Error(`Dovecot is not available for this test run: ${inject('dovecotError')}`);
  return info;
}

/** A MailboxConfig for `user`'s `folder` on the test server (plain IMAP unless `secure`). */
export function testMailbox(
  info: DovecotInfo,
  user: string,
  options: { folder?: string; secure?: boolean; markAs?: MarkAction; moveTo?: string; port?: number } = {},
): MailboxConfig {
  const secure = options.secure ?? false;
  const port = options.port ?? (secure ? info.tlsPort : info.port);
  const folder = options.folder ?? 'INBOX';
  return Object.freeze({
    key: `${user}@${info.host}:${port}/${folder}`,
    host: info.host,
    port,
    secure,
    user,
    pass: info.password,
    folder,
    markAs: options.markAs ?? 'seen',
    moveTo: options.moveTo,
    // The test certificate is self-signed; imap:// also upgrades with STARTTLS when offered.
    tlsInsecure: true,
  });
}

async function withClient<T>(user: string, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
  const info = await testDovecot();
  const client = new ImapFlow({
    host: info.host,
    port: info.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: info.password },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } catch (err) {
    // imapflow's "Command failed" says nothing; the server's own words are in responseText.
    const text = (err as { responseText?: string }).responseText;
    if (text && err instanceof Error && !err.message.includes(text)) err.message += `: ${text}`;
    throw err;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Appends a raw message to `user`'s folder (INBOX by default); returns its UID. */
export async function appendMessage(
  user: string,
  raw: string | Buffer,
  flags: string[] = [],
  folder = 'INBOX',
): Promise<number> {
  return withClient(user, async (client) => {
    const res = await client.append(folder, raw, flags);
    if (!res || res.uid === undefined) throw new Error(`APPEND to ${user}/${folder} returned no UID`);
    return res.uid;
  });
}

/**
 * Appends many messages over one connection (backlogs for reliability tests and benchmarks). With `perSecond`, a
 * live stream instead: message i is appended at i / perSecond seconds from the start (evenly spaced arrivals, not
 * bursts), or at once when the appends have fallen behind.
 */
export async function appendMany(
  user: string,
  raws: readonly (string | Buffer)[],
  folder = 'INBOX',
  options: { perSecond?: number } = {},
): Promise<void> {
  await withClient(user, async (client) => {
    const start = Date.now();
    for (const [i, raw] of raws.entries()) {
      if (options.perSecond) {
        const due = start + (i * 1000) / options.perSecond;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      if (!(await client.append(folder, raw))) throw new Error(`APPEND to ${user}/${folder} failed`);
    }
  });
}

export interface ListedMessage {
  uid: number;
  flags: string[];
  messageId: string | undefined;
}

/** UIDs, flags and Message-IDs of the messages in `user`'s folder, oldest first. */
export async function listMessages(user: string, folder = 'INBOX'): Promise<ListedMessage[]> {
  return withClient(user, async (client) => {
    const mb = await client.mailboxOpen(folder, { readOnly: true });
    if (mb.exists === 0) return [];
    const all = await client.fetchAll('1:*', { uid: true, flags: true, envelope: true });
    return all
      .map((m) => ({ uid: m.uid, flags: [...(m.flags ?? [])].sort(), messageId: m.envelope?.messageId }))
      .sort((a, b) => a.uid - b.uid);
  });
}

export async function createFolder(user: string, folder: string): Promise<void> {
  await withClient(user, async (client) => {
    await client.mailboxCreate(folder);
  });
}

/** Paths of `user`'s folders. */
export async function listFolders(user: string): Promise<string[]> {
  return withClient(user, async (client) => (await client.list()).map((f) => f.path));
}

export async function deleteFolder(user: string, folder: string): Promise<void> {
  await withClient(user, async (client) => {
    await client.mailboxDelete(folder);
  });
}

/** A small RFC 5322 message with a unique Message-ID. */
export function makeMessage(
  n: number | string,
  options: { subject?: string; body?: string; tag?: string } = {},
): string {
  const tag = options.tag ?? 'poller';
  return [
    `From: Customer ${n} <customer${n}@example.com>`,
    'To: support@example.com',
    `Subject: ${options.subject ?? `Question ${n}`}`,
    `Date: Mon, 23 Nov 2026 10:00:${String(Number(n) % 60 || 0).padStart(2, '0')} +0000`,
    `Message-ID: <${tag}-${n}-${Math.random().toString(36).slice(2)}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.body ?? `Hello, this is message ${n}.`,
    '',
  ].join('\r\n');
}
