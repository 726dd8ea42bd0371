import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { checkMailboxAuth, MAILBOX_AUTH_TYPES, type MailboxAuth } from './mailboxes/credentials.js';
import { DEV_SECRETS_KEY, parseSecretsKey } from './mailboxes/secrets.js';
import { keyPrefixFor, parseRedisUrl, type RedisTarget } from './queue/redis-target.js';

/** Default connection strings: the services on a developer's own machine. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/intake';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_PORT = 3000;
/** How often the poller sweeps a mailbox by UID even when IDLE reports nothing. */
export const DEFAULT_POLL_INTERVAL_MS = 30_000;
/** How often the pollers read the mailbox list again when no change notice arrived (a lost LISTEN connection). */
export const DEFAULT_MAILBOX_RECONCILE_MS = 30_000;
/** IDLE is restarted after this long: servers drop idle sessions silently (RFC 2177 says 29 min). */
export const DEFAULT_IDLE_MAX_MS = 5 * 60_000;
/** Logins (connect, TLS, LOGIN/AUTHENTICATE, SELECT) one poller process runs at once (IMAP_MAX_CONCURRENT_LOGINS). */
export const DEFAULT_IMAP_MAX_CONCURRENT_LOGINS = 10;
/** Open connections to one IMAP host per poller process (IMAP_MAX_CONNECTIONS_PER_HOST); 0 = no cap. */
export const DEFAULT_IMAP_MAX_CONNECTIONS_PER_HOST = 0;
/** Messages fetched per UID batch. */
export const DEFAULT_FETCH_BATCH = 100;
/** Messages larger than this are kept as failed instead of parsed. */
export const DEFAULT_MAX_MESSAGE_BYTES = 40 * 1024 * 1024;
/**
 * The mailbox lease lives this long unless renewed by its holder (every third of it). A killed poller's mailboxes
 * are taken over by another within about 4/3 of it: this TTL plus the others' retry interval (a third).
 */
export const DEFAULT_LEASE_TTL_MS = 10_000;
/** Bound on how long SIGTERM waits for in-flight jobs before closing. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;
/** Acknowledgements to one address: at most this many per window. */
export const DEFAULT_ACK_RATE_LIMIT = 2;
export const DEFAULT_ACK_RATE_WINDOW_MS = 3 * 60 * 60_000;
/** Requests one API key may make per rate-limit window (RATE_LIMIT_PER_API_KEY; 0 turns the limit off). */
export const DEFAULT_RATE_LIMIT_PER_API_KEY = 6_000;
/**
 * Requests one client address may make per window without a valid API key (RATE_LIMIT_PER_ADDRESS; 0 = off):
 * failed sign-ins and bad keys, the OpenAPI document, the queue dashboard. Health probes and /metrics are not counted.
 */
export const DEFAULT_RATE_LIMIT_PER_ADDRESS = 120;
/** Length of the rate-limit window (RATE_LIMIT_WINDOW_MS). */
export const DEFAULT_RATE_LIMIT_WINDOW_MS = 60_000;
/** MESSAGE_ID_SECRET's development default; refused when NODE_ENV=production. */
export const DEV_MESSAGE_ID_SECRET = 'intake-dev-secret-change-me';
/** Acknowledgements to one mail domain per hour at most (ACK_DOMAIN_HOURLY_LIMIT; 0 = no limit). */
export const DEFAULT_ACK_DOMAIN_HOURLY_LIMIT = 100;
/** Acknowledgements of the whole installation per hour at most (ACK_HOURLY_LIMIT; 0 = no limit). */
export const DEFAULT_ACK_HOURLY_LIMIT = 1_000;
/** Health/metrics ports of the worker and poller processes (the web process serves them on PORT). */
/** Inbound jobs in flight per worker process: enough to fill a batch while the previous one commits. */
export const DEFAULT_WORKER_CONCURRENCY = 100;
/** Inbound messages per transaction at most (src/inbound/process-batch.ts). */
export const DEFAULT_WORKER_BATCH_SIZE = 50;
/** Bytes of inbound messages one worker process holds at once (src/inbound/byte-budget.ts). */
export const DEFAULT_WORKER_MAX_BYTES_IN_FLIGHT = 256 * 1024 * 1024;
export const DEFAULT_WORKER_HEALTH_PORT = 3001;
export const DEFAULT_POLLER_HEALTH_PORT = 3002;
/** Staff sessions: idle and absolute lifetime (SESSION_IDLE_MINUTES, SESSION_MAX_HOURS). */
export const DEFAULT_SESSION_IDLE_MINUTES = 480;
export const DEFAULT_SESSION_MAX_HOURS = 168;
/** Sign-in lock-out: this many failures for one email within the lock time lock it for that long. */
export const DEFAULT_LOGIN_MAX_FAILURES = 5;
export const DEFAULT_LOGIN_LOCK_MINUTES = 15;
/** Default pattern for order references in subjects: digits after '#'. */
export const DEFAULT_ORDER_REF_PATTERN = '#(\\d{3,})';

export type MarkAction = 'seen' | 'move' | 'delete';

export interface MailboxConfig {
  /** Stable key used for state, leases and logs: `user@host:port/folder`. */
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user: string;
  readonly pass: string;
  readonly folder: string;
  /** What to do with a message on the server once it is stored and queued. */
  readonly markAs: MarkAction;
  /** Target folder when `markAs` is `move`. */
  readonly moveTo?: string;
  /** Accept self-signed certificates (test servers only). */
  readonly tlsInsecure: boolean;
  /** How to log in when not with `pass`: OAuth2 (IMAP_AUTH and IMAP_OAUTH_*; docs/mailboxes-oauth.md). */
  readonly auth?: MailboxAuth;
  /**
   * `none` (plain IMAP, never STARTTLS), `starttls` (required) or `tls` (IMAPS). Unset (IMAP_URL): imaps:// is TLS,
   * imap:// upgrades with STARTTLS when the server offers it.
   */
  readonly tls?: 'none' | 'starttls' | 'tls';
  /** The stored mailbox's id (mailboxes table), when it comes from there. */
  readonly id?: string;
}

export interface Config {
  readonly databaseUrl: string;
  /** Connections of this process's PostgreSQL pool (DATABASE_POOL_SIZE); unset: the process's own default (runtime.ts). */
  readonly databasePoolSize: number | undefined;
  /** Longest statement of this process in ms (DATABASE_STATEMENT_TIMEOUT_MS, 0 = none); unset: the process's default. */
  readonly databaseStatementTimeoutMs: number | undefined;
  /**
   * REDIS_URL: `redis://` or `rediss://` (one server), `redis-sentinel://host:26379,.../<master-name>` (Sentinel) or
   * `redis-cluster://host:port,...` (Cluster); src/queue/redis-target.ts.
   */
  readonly redisUrl: string;
  readonly port: number;
  /** Address every HTTP server of intake listens on (HOST): the web API and the worker's and poller's health servers. */
  readonly host: string;
  readonly logLevel: string;
  /**
   * Prefix of every Redis key of intake (QUEUE_PREFIX, default `intake`), so several installations can share a Redis;
   * on a Redis Cluster it is a hash tag (`{intake}`), so all of them share one slot.
   */
  readonly queuePrefix: string;
  readonly mailboxes: readonly MailboxConfig[];
  readonly pollIntervalMs: number;
  readonly idleMaxMs: number;
  readonly fetchBatch: number;
  readonly maxMessageBytes: number;
  /** Logins in progress at once in one poller process (IMAP_MAX_CONCURRENT_LOGINS, default 10; 0 = no cap). */
  readonly imapMaxConcurrentLogins: number;
  /**
   * Open connections to one IMAP host per poller process (IMAP_MAX_CONNECTIONS_PER_HOST, default 0 = no cap):
   * Microsoft 365 and others refuse more than a few concurrent connections per app or user.
   */
  readonly imapMaxConnectionsPerHost: number;
  readonly leaseTtlMs: number;
  readonly workerConcurrency: number;
  /** Inbound messages processed in one transaction at most (WORKER_BATCH_SIZE, default 50; 1: one at a time). */
  readonly workerBatchSize: number;
  /** Bytes of inbound messages one worker process holds at once (WORKER_MAX_BYTES_IN_FLIGHT, default 256 MiB). */
  readonly workerMaxBytesInFlight: number;
  readonly shutdownTimeoutMs: number;
  /** Use the Reply-To header (instead of From) as the customer of a new case. */
  readonly customerFromReplyTo: boolean;
  readonly orderRefPattern: string;
  /** Addresses that are intake's own (never participants, never sent automatic mail). */
  readonly ownAddresses: readonly string[];
  readonly smtpUrl: string | undefined;
  /**
   * SMTP_AUTH: `url` (default: the user and password in SMTP_URL, if any) or `oauth2` (XOAUTH2 with the access token of
   * the mailbox named by SMTP_AUTH_MAILBOX, by default the IMAP_URL mailbox; docs/mailboxes-oauth.md).
   */
  readonly smtpAuth: 'url' | 'oauth2';
  /** SMTP_AUTH_MAILBOX: the mailbox (its key, or its user name) whose OAuth2 credentials SMTP uses. */
  readonly smtpAuthMailbox: string | undefined;
  readonly mailFrom: string;
  readonly mailFromName: string;
  /** Address whose local part gets `+<token>` in Reply-To; empty disables reply tokens. */
  readonly replyAddress: string;
  /** Secret that signs the Message-IDs intake sends, so it can recognise its own. */
  readonly messageIdSecret: string;
  readonly messageIdDomain: string;
  readonly ackRateLimit: number;
  readonly ackRateWindowMs: number;
  /** Earlier MESSAGE_ID_SECRETs (MESSAGE_ID_OLD_SECRETS, comma-separated): they verify, never sign. */
  readonly messageIdOldSecrets: readonly string[];
  /**
   * authserv-ids of the receiving servers whose Authentication-Results intake believes (TRUSTED_AUTHSERV_IDS,
   * comma-separated, lower-cased); empty: none, so no mail is taken as failing DMARC (docs/threading-trust.md).
   */
  readonly trustedAuthservIds: readonly string[];
  /** Acknowledgements to one mail domain per hour at most (ACK_DOMAIN_HOURLY_LIMIT; 0 = no limit). */
  readonly ackDomainHourlyLimit: number;
  /** Acknowledgements of the installation per hour at most (ACK_HOURLY_LIMIT; 0 = no limit). */
  readonly ackHourlyLimit: number;
  /** Requests per API key per window in the web process; 0 = unlimited (RATE_LIMIT_PER_API_KEY). */
  readonly rateLimitPerApiKey: number;
  /** Requests per client address per window without a valid API key; 0 = unlimited (RATE_LIMIT_PER_ADDRESS). */
  readonly rateLimitPerAddress: number;
  /** Length of the rate-limit window in ms (RATE_LIMIT_WINDOW_MS). */
  readonly rateLimitWindowMs: number;
  /**
   * Which proxies' X-Forwarded-For the web process believes for the client address (TRUST_PROXY): false (default),
   * true (any: only when nothing reaches it except through the proxy), or the proxies' addresses and CIDRs.
   */
  readonly trustProxy: boolean | readonly string[];
  readonly adminUser: string | undefined;
  readonly adminPassword: string | undefined;
  /** When set, /metrics needs `Authorization: Bearer <token>`; unset = open. */
  readonly metricsToken: string | undefined;
  /** Port of the worker's /healthz, /readyz, /metrics server; 0 = off. */
  readonly workerHealthPort: number;
  /** Port of the poller's /healthz, /readyz, /metrics server; 0 = off. */
  readonly pollerHealthPort: number;
  /**
   * ALLOW_REDIS_EVICTION: a Redis whose maxmemory-policy may evict keys (anything but noeviction) keeps the processes
   * running but not ready, instead of ending them. Default false.
   */
  readonly allowRedisEviction: boolean;
  /** A staff session unused this long ends (SESSION_IDLE_MINUTES, default 480). */
  readonly sessionIdleMinutes: number;
  /** A staff session ends this long after sign-in, used or not (SESSION_MAX_HOURS, default 168). */
  readonly sessionMaxHours: number;
  /** Failed sign-ins for one email within LOGIN_LOCK_MINUTES that lock it (LOGIN_MAX_FAILURES, default 5; 0 = never). */
  readonly loginMaxFailures: number;
  /** How long a locked email stays locked, and the window failures are counted in (LOGIN_LOCK_MINUTES, default 15). */
  readonly loginLockMinutes: number;
  /**
   * Keys that seal the mailbox secrets stored by the API (SECRETS_KEY, SECRETS_OLD_KEYS; src/mailboxes/secrets.ts).
   * Outside production an unset SECRETS_KEY means the development key (`development: true`); in production, null:
   * nothing secret can be stored.
   */
  readonly secretsKeys: SecretsKeys | null;
  /** How often the pollers read the mailbox list again even without a change notice (MAILBOX_RECONCILE_MS). */
  readonly mailboxReconcileMs: number;
}

export interface SecretsKeys {
  readonly current: Buffer;
  readonly old: readonly Buffer[];
  /** The development key (SECRETS_KEY unset outside production): anyone can open what it seals. */
  readonly development: boolean;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be a whole number >= ${min}, got "${raw}"`);
  return n;
}

/** Like int, but unset (or blank) is undefined: the caller's own default applies. */
function optionalInt(env: Env, name: string, min = 0): number | undefined {
  return env[name]?.trim() ? int(env, name, 0, min) : undefined;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function url(env: Env, name: string, fallback: string | undefined, protocols: string[]): string | undefined {
  const raw = env[name]?.trim() || fallback;
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}

function redisTarget(env: Env): { url: string; target: RedisTarget } {
  const url = env.REDIS_URL?.trim() || DEFAULT_REDIS_URL;
  try {
    return { url, target: parseRedisUrl(url) };
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/**
 * Parses one mailbox URL: `imap://user:pass@host:143/INBOX` or `imaps://...:993/Support`.
 * Query options: `mark=seen|move|delete`, `moveTo=Processed`, `tlsInsecure=1`.
 */
export function parseMailboxUrl(raw: string, name = 'IMAP_URL'): MailboxConfig {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new ConfigError(`${name} is not a valid URL (expected imaps://user:pass@host:993/INBOX)`);
  }
  if (u.protocol !== 'imap:' && u.protocol !== 'imaps:') {
    throw new ConfigError(`${name} must start with imap:// or imaps://`);
  }
  if (!u.username) throw new ConfigError(`${name} has no user name`);
  const secure = u.protocol === 'imaps:';
  const port = u.port ? Number(u.port) : secure ? 993 : 143;
  const folder = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX';
  const mark = (u.searchParams.get('mark') ?? 'seen') as MarkAction;
  if (!['seen', 'move', 'delete'].includes(mark)) throw new ConfigError(`${name}: mark must be seen, move or delete`);
  const moveTo = u.searchParams.get('moveTo') ?? undefined;
  if (mark === 'move' && !moveTo) throw new ConfigError(`${name}: mark=move needs moveTo=<folder>`);
  const user = decodeURIComponent(u.username);
  return Object.freeze({
    key: `${user}@${u.hostname}:${port}/${folder}`,
    host: u.hostname,
    port,
    secure,
    user,
    pass: decodeURIComponent(u.password),
    folder,
    markAs: mark,
    moveTo,
    tlsInsecure: ['1', 'true'].includes(u.searchParams.get('tlsInsecure') ?? ''),
  });
}

/**
 * IMAP_AUTH and IMAP_OAUTH_*: how the IMAP_URL mailbox logs in, when not with the password in its URL.
 * undefined for `password` (the default).
 */
export function mailboxAuthFromEnv(env: Env): MailboxAuth | undefined {
  const type = env.IMAP_AUTH?.trim() || 'password';
  if (!(MAILBOX_AUTH_TYPES as readonly string[]).includes(type))
    throw new ConfigError(`IMAP_AUTH must be one of ${MAILBOX_AUTH_TYPES.join(', ')}, got "${type}"`);
  if (type === 'password') return undefined;
  const v = (name: string) => env[`IMAP_OAUTH_${name}`]?.trim() ?? '';
  const clientAuth = v('CLIENT_AUTH') || undefined;
  if (clientAuth !== undefined && clientAuth !== 'basic' && clientAuth !== 'body')
    throw new ConfigError(`IMAP_OAUTH_CLIENT_AUTH must be basic or body, got "${clientAuth}"`);
  const scope = v('SCOPE') || undefined;
  // A certificate instead of a client secret: PEM files, read once here (docs/mailboxes-oauth.md).
  const pemFile = (name: string): string | undefined => {
    const path = v(name);
    if (!path) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`IMAP_OAUTH_${name}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  };
  const certificate = pemFile('CERTIFICATE_PATH');
  // One file may hold both (openssl pkcs12 -nodes writes them so).
  const privateKey =
    pemFile('PRIVATE_KEY_PATH') ??
    (/-----BEGIN (RSA )?PRIVATE KEY-----/.test(certificate ?? '') ? certificate : undefined);
  const clientSecret = v('CLIENT_SECRET') || (certificate || privateKey ? undefined : '');
  const auth: MailboxAuth =
    type === 'microsoft365'
      ? { type, tenantId: v('TENANT_ID'), clientId: v('CLIENT_ID'), clientSecret, certificate, privateKey }
      : type === 'google'
        ? { type, clientId: v('CLIENT_ID'), clientSecret: v('CLIENT_SECRET'), refreshToken: v('REFRESH_TOKEN') }
        : type === 'oauth2-refresh-token'
          ? {
              type,
              tokenUrl: v('TOKEN_URL'),
              clientId: v('CLIENT_ID'),
              clientSecret: v('CLIENT_SECRET'),
              refreshToken: v('REFRESH_TOKEN'),
              scope,
              clientAuth,
            }
          : {
              type: 'oauth2-client-credentials',
              tokenUrl: v('TOKEN_URL'),
              clientId: v('CLIENT_ID'),
              clientSecret,
              certificate,
              privateKey,
              scope,
              clientAuth,
            };
  try {
    checkMailboxAuth(auth);
  } catch (err) {
    // "microsoft365 auth needs tenantId" names the field; the operator sets the variable.
    const missing = (err as Error).message.replace(
      /\b(tokenUrl|clientId|clientSecret|refreshToken|tenantId|certificate|privateKey)\b/g,
      (f) =>
        `IMAP_OAUTH_${f.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}${/^(certificate|privateKey)$/.test(f) ? '_PATH' : ''}`,
    );
    throw new ConfigError(`IMAP_AUTH=${type}: ${missing.replace(/^\S+ auth needs/, 'needs')}`);
  }
  return Object.freeze(auth);
}

function mailboxes(env: Env): MailboxConfig[] {
  // IMAP_URL holds one mailbox; IMAP_URLS holds several, separated by whitespace or commas.
  const urls = [env.IMAP_URL, ...(env.IMAP_URLS ?? '').split(/[\s,]+/)].filter(
    (s): s is string => !!s && s.trim() !== '',
  );
  const list = urls.map((u, i) => parseMailboxUrl(u, i === 0 && env.IMAP_URL ? 'IMAP_URL' : 'IMAP_URLS'));
  const auth = mailboxAuthFromEnv(env);
  if (auth) {
    if (!env.IMAP_URL?.trim())
      throw new ConfigError(`IMAP_AUTH=${auth.type} needs IMAP_URL (the mailbox it signs in to)`);
    list[0] = Object.freeze({ ...list[0]!, auth });
  }
  const keys = new Set<string>();
  for (const m of list) {
    if (keys.has(m.key)) throw new ConfigError(`mailbox ${m.key} is configured twice`);
    keys.add(m.key);
  }
  return list;
}

/** SMTP_AUTH: url (default) or oauth2. */
function smtpAuth(env: Env): 'url' | 'oauth2' {
  const raw = env.SMTP_AUTH?.trim().toLowerCase() || 'url';
  if (raw !== 'url' && raw !== 'oauth2')
    throw new ConfigError(`SMTP_AUTH must be url or oauth2, got "${env.SMTP_AUTH}"`);
  return raw;
}

/** TRUST_PROXY: true/false, or the proxies' addresses and CIDRs separated by commas. */
function trustProxy(env: Env): boolean | readonly string[] {
  const raw = env.TRUST_PROXY?.trim() ?? '';
  if (!/[.:]/.test(raw)) return bool(env, 'TRUST_PROXY', false);
  return Object.freeze(raw.split(/[\s,]+/).filter(Boolean));
}

/** A comma- or space-separated list, blanks dropped. */
const list = (raw: string | undefined): string[] => (raw ?? '').split(/[\s,]+/).filter(Boolean);

/**
 * MESSAGE_ID_SECRET, or the development default. In production the default (or nothing) is refused: anyone could
 * sign Message-IDs with a value printed in the README and steer replies onto any case (docs/threading-trust.md).
 */
function messageIdSecret(env: Env): string {
  const secret = env.MESSAGE_ID_SECRET?.trim() || DEV_MESSAGE_ID_SECRET;
  if (env.NODE_ENV === 'production' && secret === DEV_MESSAGE_ID_SECRET)
    throw new ConfigError('MESSAGE_ID_SECRET must be set to a secret of your own when NODE_ENV=production');
  return secret;
}

/** SECRETS_KEY and SECRETS_OLD_KEYS: 64 hex characters or base64 of 32 bytes each (`openssl rand -hex 32`). */
function secretsKeys(env: Env): SecretsKeys | null {
  const parse = (name: string, text: string): Buffer => {
    const key = parseSecretsKey(text);
    if (!key) throw new ConfigError(`${name} must be 32 bytes as 64 hex characters or base64 (openssl rand -hex 32)`);
    return key;
  };
  const old = list(env.SECRETS_OLD_KEYS).map((k) => parse('SECRETS_OLD_KEYS', k));
  const raw = env.SECRETS_KEY?.trim();
  const production = env.NODE_ENV === 'production';
  // Outside production the development key still opens what it sealed before SECRETS_KEY was set.
  const opening = production ? old : [...old, DEV_SECRETS_KEY];
  if (raw)
    return Object.freeze({ current: parse('SECRETS_KEY', raw), old: Object.freeze(opening), development: false });
  if (production) return null;
  return Object.freeze({ current: DEV_SECRETS_KEY, old: Object.freeze(old), development: true });
}

/** Parses the environment once into a frozen, typed object. Throws ConfigError with one clear line. */
export function loadConfig(env: Env = process.env): Config {
  const mailFrom = env.MAIL_FROM?.trim() || 'support@localhost';
  const replyAddress = env.REPLY_ADDRESS?.trim() ?? mailFrom;
  const own = [mailFrom, replyAddress, ...(env.OWN_ADDRESSES ?? '').split(/[\s,]+/)]
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.includes('@'));
  const redis = redisTarget(env);
  const config: Config = {
    databaseUrl: url(env, 'DATABASE_URL', DEFAULT_DATABASE_URL, ['postgres:', 'postgresql:'])!,
    databasePoolSize: optionalInt(env, 'DATABASE_POOL_SIZE', 1),
    databaseStatementTimeoutMs: optionalInt(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 0),
    redisUrl: redis.url,
    port: int(env, 'PORT', DEFAULT_PORT),
    host: env.HOST?.trim() || '0.0.0.0',
    logLevel: env.LOG_LEVEL?.trim() || 'info',
    // On a Redis Cluster the prefix is a hash tag ({intake}): every key of the installation in one slot.
    queuePrefix: keyPrefixFor(redis.target, env.QUEUE_PREFIX?.trim() || 'intake'),
    mailboxes: mailboxes(env),
    pollIntervalMs: int(env, 'POLL_INTERVAL_MS', DEFAULT_POLL_INTERVAL_MS, 100),
    idleMaxMs: int(env, 'IDLE_MAX_MS', DEFAULT_IDLE_MAX_MS, 1000),
    fetchBatch: int(env, 'FETCH_BATCH', DEFAULT_FETCH_BATCH, 1),
    maxMessageBytes: int(env, 'MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES, 1024),
    imapMaxConcurrentLogins: int(env, 'IMAP_MAX_CONCURRENT_LOGINS', DEFAULT_IMAP_MAX_CONCURRENT_LOGINS),
    imapMaxConnectionsPerHost: int(env, 'IMAP_MAX_CONNECTIONS_PER_HOST', DEFAULT_IMAP_MAX_CONNECTIONS_PER_HOST),
    leaseTtlMs: int(env, 'LEASE_TTL_MS', DEFAULT_LEASE_TTL_MS, 1000),
    workerConcurrency: int(env, 'WORKER_CONCURRENCY', DEFAULT_WORKER_CONCURRENCY, 1),
    workerBatchSize: int(env, 'WORKER_BATCH_SIZE', DEFAULT_WORKER_BATCH_SIZE, 1),
    workerMaxBytesInFlight: int(env, 'WORKER_MAX_BYTES_IN_FLIGHT', DEFAULT_WORKER_MAX_BYTES_IN_FLIGHT, 1024 * 1024),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', DEFAULT_SHUTDOWN_TIMEOUT_MS, 0),
    customerFromReplyTo: bool(env, 'CUSTOMER_FROM_REPLY_TO', false),
    orderRefPattern: env.ORDER_REF_PATTERN?.trim() || DEFAULT_ORDER_REF_PATTERN,
    ownAddresses: [...new Set(own)],
    smtpUrl: url(env, 'SMTP_URL', undefined, ['smtp:', 'smtps:']),
    smtpAuth: smtpAuth(env),
    smtpAuthMailbox: env.SMTP_AUTH_MAILBOX?.trim() || undefined,
    mailFrom,
    mailFromName: env.MAIL_FROM_NAME?.trim() || 'Support',
    replyAddress,
    messageIdSecret: messageIdSecret(env),
    messageIdDomain: env.MESSAGE_ID_DOMAIN?.trim() || mailFrom.split('@')[1] || 'intake.local',
    ackRateLimit: int(env, 'ACK_RATE_LIMIT', DEFAULT_ACK_RATE_LIMIT),
    ackRateWindowMs: int(env, 'ACK_RATE_WINDOW_MS', DEFAULT_ACK_RATE_WINDOW_MS, 1000),
    rateLimitPerApiKey: int(env, 'RATE_LIMIT_PER_API_KEY', DEFAULT_RATE_LIMIT_PER_API_KEY),
    rateLimitPerAddress: int(env, 'RATE_LIMIT_PER_ADDRESS', DEFAULT_RATE_LIMIT_PER_ADDRESS),
    rateLimitWindowMs: int(env, 'RATE_LIMIT_WINDOW_MS', DEFAULT_RATE_LIMIT_WINDOW_MS, 1000),
    trustProxy: trustProxy(env),
    adminUser: env.ADMIN_USER?.trim() || undefined,
    adminPassword: env.ADMIN_PASSWORD?.trim() || undefined,
    metricsToken: env.METRICS_TOKEN?.trim() || undefined,
    workerHealthPort: int(env, 'WORKER_HEALTH_PORT', DEFAULT_WORKER_HEALTH_PORT),
    pollerHealthPort: int(env, 'POLLER_HEALTH_PORT', DEFAULT_POLLER_HEALTH_PORT),
    allowRedisEviction: bool(env, 'ALLOW_REDIS_EVICTION', false),
    messageIdOldSecrets: Object.freeze(list(env.MESSAGE_ID_OLD_SECRETS)),
    trustedAuthservIds: Object.freeze(list(env.TRUSTED_AUTHSERV_IDS).map((s) => s.toLowerCase())),
    ackDomainHourlyLimit: int(env, 'ACK_DOMAIN_HOURLY_LIMIT', DEFAULT_ACK_DOMAIN_HOURLY_LIMIT),
    ackHourlyLimit: int(env, 'ACK_HOURLY_LIMIT', DEFAULT_ACK_HOURLY_LIMIT),
    sessionIdleMinutes: int(env, 'SESSION_IDLE_MINUTES', DEFAULT_SESSION_IDLE_MINUTES, 1),
    sessionMaxHours: int(env, 'SESSION_MAX_HOURS', DEFAULT_SESSION_MAX_HOURS, 1),
    secretsKeys: secretsKeys(env),
    mailboxReconcileMs: int(env, 'MAILBOX_RECONCILE_MS', DEFAULT_MAILBOX_RECONCILE_MS, 1000),
    loginMaxFailures: int(env, 'LOGIN_MAX_FAILURES', DEFAULT_LOGIN_MAX_FAILURES),
    loginLockMinutes: int(env, 'LOGIN_LOCK_MINUTES', DEFAULT_LOGIN_LOCK_MINUTES, 1),
  };
  try {
    new RegExp(config.orderRefPattern, 'g');
  } catch {
    throw new ConfigError(`ORDER_REF_PATTERN is not a valid regular expression`);
  }
  return Object.freeze(config);
}

/**
 * Loads `.env` from the working directory when present (Node's own loader; variables already set win), then
 * parses. INTAKE_ENV_FILE names another file, or none when empty: the tests set it empty, so a developer's
 * `.env` never reaches the processes they start.
 */
export function loadConfigFromEnvironment(): Config {
  const file = process.env.INTAKE_ENV_FILE ?? '.env';
  if (file && existsSync(file)) process.loadEnvFile(file);
  return loadConfig(process.env);
}
