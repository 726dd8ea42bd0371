import { createHash } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { MailboxConfig, MarkAction, SecretsKeys } from '../config.js';
import type { Db, DbOrTrx } from '../db/database.js';
import type { MailboxesTable } from '../db/schema.js';
import { ConflictError, NotFoundError, ServiceUnavailableError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { certificateThumbprint, readCertificate } from './client-assertion.js';
import {
  CERTIFICATE_AUTH_TYPES,
  checkMailboxAuth,
  MailboxAuthError,
  type MailboxAuth,
  type MailboxAuthType,
} from './credentials.js';
import { SecretBox, SecretOpenError } from './secrets.js';

export type TlsMode = 'none' | 'starttls' | 'tls';
export type MailboxSource = 'env' | 'api';

/** Which of an auth type's fields are secret (sealed at rest, never returned) and which are plain settings. */
const SECRET_FIELDS: Record<MailboxAuthType, readonly string[]> = {
  password: ['password'],
  'oauth2-client-credentials': ['clientSecret', 'privateKey'],
  'oauth2-refresh-token': ['clientSecret', 'refreshToken'],
  microsoft365: ['clientSecret', 'privateKey'],
  google: ['clientSecret', 'refreshToken'],
};
const SETTING_FIELDS: Record<MailboxAuthType, readonly string[]> = {
  password: [],
  'oauth2-client-credentials': ['tokenUrl', 'clientId', 'scope', 'clientAuth', 'certificate'],
  'oauth2-refresh-token': ['tokenUrl', 'clientId', 'scope', 'clientAuth'],
  microsoft365: ['tenantId', 'clientId', 'certificate'],
  google: ['clientId'],
};
/** The fields that say where a secret is sent: changing one needs the secret sent again. */
const DESTINATION_FIELDS = ['tokenUrl', 'tenantId'];

export const secretFieldsOf = (type: MailboxAuthType): readonly string[] => SECRET_FIELDS[type];

/**
 * The secret fields a mailbox's auth uses: with a certificate its private key, else its client secret (the types of
 * CERTIFICATE_AUTH_TYPES take one or the other).
 */
function secretFieldsFor(type: MailboxAuthType, settings: Record<string, unknown>): readonly string[] {
  if (!CERTIFICATE_AUTH_TYPES.includes(type)) return SECRET_FIELDS[type] ?? [];
  const used = settings.certificate ? 'privateKey' : 'clientSecret';
  return SECRET_FIELDS[type].filter((f) => f === used);
}

/**
 * The settings as the API shows them: a certificate by its SHA-1 thumbprint (as the provider's admin center lists it)
 * and its expiry, since the PEM is long and says nothing at a glance.
 */
function shownSettings(settings: Record<string, string>): Record<string, string> {
  if (!settings.certificate) return settings;
  const { certificate, ...rest } = settings;
  try {
    const x509 = readCertificate(certificate);
    return {
      ...rest,
      certificateThumbprint: certificateThumbprint(x509),
      certificateExpires: new Date(x509.validTo).toISOString(),
    };
  } catch {
    return { ...rest, certificateThumbprint: '(unreadable certificate)' };
  }
}

/** A stored mailbox as the API shows it: never a secret. */
export interface MailboxRecord {
  id: string;
  name: string;
  host: string;
  port: number;
  tls: TlsMode;
  tlsInsecure: boolean;
  user: string;
  folder: string;
  afterImport: MarkAction;
  moveTo: string | null;
  enabled: boolean;
  auth: { type: MailboxAuthType; settings: Record<string, string>; secretFields: string[] };
  source: MailboxSource;
  /** `user@host:port/folder`: the key of the mailbox's state, its messages and its poller lease. */
  key: string;
  created: Date;
  changed: Date;
}

/** What the API takes to create a mailbox (camelCase here, PascalCase on the wire). */
export interface MailboxInput {
  name: string;
  host: string;
  port?: number;
  tls?: TlsMode;
  tlsInsecure?: boolean;
  user: string;
  folder?: string;
  afterImport?: MarkAction;
  moveTo?: string | null;
  enabled?: boolean;
  /** `type` and the type's fields; on a change, secret fields left out keep their stored values (same type only). */
  auth: { type: MailboxAuthType } & Record<string, string | undefined>;
}

export type MailboxPatch = Partial<MailboxInput>;

export const mailboxKeyOf = (m: { user: string; host: string; port: number; folder: string }): string =>
  `${m.user}@${m.host}:${m.port}/${m.folder}`;

type Row = Selectable<MailboxesTable>;

function toRecord(row: Row): MailboxRecord {
  const type = row.auth_type as MailboxAuthType;
  return {
    id: row.id,
    name: row.name,
    host: row.host,
    port: row.port,
    tls: row.tls,
    tlsInsecure: row.tls_insecure,
    user: row.username,
    folder: row.folder,
    afterImport: row.after_import,
    moveTo: row.move_to,
    enabled: row.enabled,
    auth: {
      type,
      settings: shownSettings(row.auth_settings),
      secretFields: [...secretFieldsFor(type, row.auth_settings)],
    },
    source: row.source,
    key: row.mailbox_key,
    created: row.created,
    changed: row.changed,
  };
}

/** The sealer of stored secrets, or null when none may be stored (production without SECRETS_KEY). */
export function secretBoxFor(keys: SecretsKeys | null): SecretBox | null {
  return keys ? new SecretBox(keys.current, keys.old) : null;
}

function requireBox(box: SecretBox | null): SecretBox {
  if (!box)
    throw new ServiceUnavailableError(
      'SECRETS_KEY is not set, so no mailbox secret can be stored: set it (openssl rand -hex 32) and restart',
    );
  return box;
}

/** An auth split into its plain settings and its secret fields (both camelCase, blanks dropped). */
function splitAuth(auth: MailboxAuth): { settings: Record<string, string>; secret: Record<string, string> } {
  const rec = auth as unknown as Record<string, unknown>;
  const pick = (fields: readonly string[]) =>
    Object.fromEntries(
      fields.filter((f) => typeof rec[f] === 'string' && (rec[f] as string) !== '').map((f) => [f, rec[f] as string]),
    );
  return { settings: pick(SETTING_FIELDS[auth.type]), secret: pick(SECRET_FIELDS[auth.type]) };
}

function joinAuth(
  type: MailboxAuthType,
  settings: Record<string, string>,
  secret: Record<string, string>,
): MailboxAuth {
  return { type, ...settings, ...secret } as unknown as MailboxAuth;
}

/** Checks an auth's fields; a missing or bad one is a 400 that names it (in the API's PascalCase). */
function checkAuth(auth: MailboxAuth): void {
  try {
    checkMailboxAuth(auth);
  } catch (err) {
    if (!(err instanceof MailboxAuthError)) throw err;
    throw new ValidationError(
      `Auth: ${err.message.replace(/\b[a-z]+[A-Z]\w*\b|\bscope\b|\bcertificate\b/g, (f) => f[0]!.toUpperCase() + f.slice(1))}`,
    );
  }
}

/** A mailbox's connection settings, checked and with defaults filled in: the record's own fields. */
type Normalized = Omit<MailboxRecord, 'id' | 'auth' | 'source' | 'key' | 'created' | 'changed'>;

function normalize(input: Omit<MailboxInput, 'auth'>): Normalized {
  const tls = input.tls ?? 'tls';
  const n: Normalized = {
    name: input.name.trim(),
    host: input.host.trim().toLowerCase(),
    port: input.port ?? (tls === 'tls' ? 993 : 143),
    tls,
    tlsInsecure: input.tlsInsecure ?? false,
    user: input.user.trim(),
    folder: input.folder?.trim() || 'INBOX',
    afterImport: input.afterImport ?? 'seen',
    moveTo: input.moveTo?.trim() || null,
    enabled: input.enabled ?? true,
  };
  if (!n.name) throw new ValidationError('Name must not be blank');
  if (!n.host || /[\s/@]/.test(n.host)) throw new ValidationError('Host must be a host name or address');
  if (!n.user) throw new ValidationError('User must not be blank');
  if (n.afterImport === 'move' && !n.moveTo) throw new ValidationError('AfterImport "move" needs MoveTo (a folder)');
  if (n.afterImport === 'move' && n.moveTo === n.folder) throw new ValidationError('MoveTo must not be the Folder');
  if (n.afterImport !== 'move') n.moveTo = null;
  return n;
}

function columns(n: Normalized) {
  return {
    name: n.name,
    host: n.host,
    port: n.port,
    tls: n.tls,
    tls_insecure: n.tlsInsecure,
    username: n.user,
    folder: n.folder,
    after_import: n.afterImport,
    move_to: n.moveTo,
    enabled: n.enabled,
    mailbox_key: mailboxKeyOf(n),
  };
}

/** The unique indexes' violations as a 409 that says which. */
async function uniquely<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    if (e.code === '23505') {
      throw new ConflictError(
        e.constraint === 'mailboxes_name_key'
          ? 'A mailbox with this Name exists'
          : 'A mailbox with this User, Host, Port and Folder exists',
      );
    }
    throw err;
  }
}

const live = (db: DbOrTrx) => db.selectFrom('mailboxes').selectAll().where('deleted_at', 'is', null);

export async function listMailboxes(db: DbOrTrx): Promise<MailboxRecord[]> {
  return (
    await live(db)
      .orderBy(sql`lower(name)`)
      .execute()
  ).map(toRecord);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function rowOf(db: DbOrTrx, id: string): Promise<Row> {
  const row = UUID_RE.test(id) ? await live(db).where('id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw new NotFoundError('Mailbox', id);
  return row;
}

export async function getMailbox(db: DbOrTrx, id: string): Promise<MailboxRecord> {
  return toRecord(await rowOf(db, id));
}

export async function createMailbox(db: Db, box: SecretBox | null, input: MailboxInput): Promise<MailboxRecord> {
  const n = normalize(input);
  const auth = input.auth as unknown as MailboxAuth;
  checkAuth(auth);
  const { settings, secret } = splitAuth(auth);
  const missing = secretFieldsFor(auth.type, settings).filter((f) => !secret[f]);
  if (missing.length) throw new ValidationError(`Auth: ${auth.type} needs ${missing.map(pascal).join(', ')}`);
  const sealer = requireBox(box);
  return uniquely(() =>
    db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('mailboxes')
        .values({ ...columns(n), auth_type: auth.type, auth_settings: JSON.stringify(settings), source: 'api' })
        .returningAll()
        .executeTakeFirstOrThrow();
      // The row's id is the sealed value's owner, so it is sealed once the id exists.
      const sealed = await trx
        .updateTable('mailboxes')
        .set({ auth_secret: sealer.seal(JSON.stringify(secret), row.id) })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(sealed);
    }),
  );
}

/**
 * Changes what is given and keeps the rest. A changed Auth of the same Type keeps the stored secret fields it leaves
 * out, unless it sends them somewhere else (a new Host for a password, a new TokenUrl or TenantId): then they must be
 * sent again. A mailbox seeded from the environment is managed here from its first change on (Source becomes api).
 */
export async function updateMailbox(
  db: Db,
  box: SecretBox | null,
  id: string,
  patch: MailboxPatch,
): Promise<MailboxRecord> {
  return uniquely(() =>
    db.transaction().execute(async (trx) => {
      const row = await rowOf(trx, id);
      const current = toRecord(row);
      const n = normalize({ ...current, ...definedOnly(patch) });
      const set: Record<string, unknown> = { ...columns(n), source: 'api', changed: sql`now()` };
      if (patch.auth) {
        const next = patch.auth as unknown as MailboxAuth;
        const { settings, secret } = splitAuth(next);
        const sameType = next.type === current.auth.type;
        const moved =
          DESTINATION_FIELDS.some((f) => (settings[f] ?? '') !== (current.auth.settings[f] ?? '')) ||
          (next.type === 'password' && n.host !== current.host);
        const missing = secretFieldsFor(next.type, settings).filter((f) => !(f in secret));
        let stored: Record<string, string> = {};
        if (missing.length && sameType && !moved) stored = openSecret(box, row) ?? {};
        const merged = { ...Object.fromEntries(missing.map((f) => [f, stored[f] ?? ''])), ...secret };
        const full = joinAuth(next.type, settings, merged);
        if (missing.some((f) => !merged[f]) && (!sameType || moved))
          throw new ValidationError(
            `Auth: send ${missing.map(pascal).join(', ')} again: ${sameType ? 'it would go to a new destination' : 'the Type changed'}`,
          );
        checkAuth(full);
        set.auth_type = next.type;
        set.auth_settings = JSON.stringify(settings);
        set.auth_secret = requireBox(box).seal(JSON.stringify(merged), row.id);
      } else if (current.auth.type === 'password' && n.host !== current.host) {
        throw new ValidationError('Auth: send the Password again: a new Host would receive it');
      } else if (row.auth_secret === null) {
        // An environment mailbox whose secret was never stored (no SECRETS_KEY): it cannot leave the environment.
        throw new ValidationError(
          'Auth: this mailbox has no stored secret (its secret is in the environment): send Auth',
        );
      }
      const updated = await trx
        .updateTable('mailboxes')
        .set(set)
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(updated);
    }),
  );
}

const pascal = (f: string) => f[0]!.toUpperCase() + f.slice(1);

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Removes a mailbox: the pollers stop it within seconds. Its state and messages stay. */
export async function deleteMailbox(db: DbOrTrx, id: string): Promise<void> {
  const row = await rowOf(db, id);
  await db
    .updateTable('mailboxes')
    .set({ deleted_at: sql`now()`, enabled: false, changed: sql`now()` })
    .where('id', '=', row.id)
    .execute();
}

function openSecret(box: SecretBox | null, row: Pick<Row, 'id' | 'auth_secret'>): Record<string, string> | null {
  if (row.auth_secret === null) return null;
  return JSON.parse(requireBox(box).open(row.auth_secret, row.id)) as Record<string, string>;
}

/**
 * Puts the environment's mailboxes (IMAP_URL, IMAP_URLS, IMAP_AUTH) into the table at a poller's start: a new one is
 * added (Source env); one still managed by the environment is brought up to date; one changed or deleted through the
 * API is left as the API made it. An environment mailbox that this environment no longer names is removed, but only
 * by a process that names mailboxes at all (a poller started without IMAP_URL only helps with the stored ones).
 * Secrets are sealed when a key is there (so any poller can run the mailbox); without one they stay in the environment.
 */
export async function seedEnvMailboxes(
  db: Db,
  box: SecretBox | null,
  configured: readonly MailboxConfig[],
  logger: Logger,
): Promise<void> {
  if (configured.length === 0) return;
  await db.transaction().execute(async (trx) => {
    // One seeding at a time, whatever the number of pollers starting together.
    await sql`SELECT pg_advisory_xact_lock(hashtext('intake:mailboxes:seed'))`.execute(trx);
    const rows = await trx.selectFrom('mailboxes').selectAll().orderBy('created', 'desc').execute();
    const byKey = new Map<string, Row>();
    for (const r of rows) if (!byKey.has(r.mailbox_key) || r.deleted_at === null) byKey.set(r.mailbox_key, r);
    for (const m of configured) {
      const auth: MailboxAuth = m.auth ?? { type: 'password', password: m.pass };
      const { settings, secret } = splitAuth(auth);
      const values = {
        name: m.key,
        host: m.host.toLowerCase(),
        port: m.port,
        tls: m.secure ? ('tls' as const) : ('starttls' as const),
        tls_insecure: m.tlsInsecure,
        username: m.user,
        folder: m.folder,
        after_import: m.markAs,
        move_to: m.markAs === 'move' ? (m.moveTo ?? null) : null,
        enabled: true,
        auth_type: auth.type,
        auth_settings: JSON.stringify(settings),
        mailbox_key: m.key,
      };
      const existing = byKey.get(m.key);
      if (existing && (existing.deleted_at !== null || existing.source === 'api')) {
        if (existing.deleted_at !== null)
          logger.warn(
            { mailbox: m.key },
            'this environment mailbox was deleted through the API, so it is not watched: add it again through the API, or remove it from IMAP_URL(S)',
          );
        continue;
      }
      const id =
        existing?.id ??
        (
          await trx
            .insertInto('mailboxes')
            .values({ ...values, source: 'env' })
            .returning('id')
            .onConflict((oc) => oc.doNothing())
            .executeTakeFirst()
        )?.id;
      if (!id) continue;
      const sealed = box ? box.seal(JSON.stringify(secret), id) : null;
      // Unchanged settings and secret: no write, so no change notice and no restart of the mailbox's poller.
      if (existing && sameSeed(existing, values, box, secret)) continue;
      await trx
        .updateTable('mailboxes')
        .set({ ...values, auth_secret: sealed, changed: sql`now()` })
        .where('id', '=', id)
        .execute();
    }
    const named = new Set(configured.map((m) => m.key));
    const gone = rows.filter((r) => r.source === 'env' && r.deleted_at === null && !named.has(r.mailbox_key));
    if (gone.length) {
      await trx
        .updateTable('mailboxes')
        .set({ deleted_at: sql`now()`, enabled: false, changed: sql`now()` })
        .where(
          'id',
          'in',
          gone.map((r) => r.id),
        )
        .execute();
      logger.info({ mailboxes: gone.map((r) => r.mailbox_key) }, 'mailboxes no longer in IMAP_URL(S) removed');
    }
  });
}

function sameSeed(
  row: Row,
  values: Record<string, unknown>,
  box: SecretBox | null,
  secret: Record<string, string>,
): boolean {
  const cols = row as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(values)) {
    const have = k === 'auth_settings' ? JSON.stringify(row.auth_settings) : cols[k];
    if (k === 'auth_settings' ? canonical(v as string) !== canonical(have as string) : have !== v) return false;
  }
  if (!box) return row.auth_secret === null;
  if (row.auth_secret === null || box.isStale(row.auth_secret)) return false;
  try {
    return canonical(box.open(row.auth_secret, row.id)) === canonical(JSON.stringify(secret));
  } catch {
    return false;
  }
}

const canonical = (json: string): string =>
  JSON.stringify(Object.entries(JSON.parse(json) as Record<string, string>).sort(([a], [b]) => a.localeCompare(b)));

/** A mailbox ready for a poller: its connection settings and auth, and a fingerprint that changes with either. */
export interface RunnableMailbox {
  config: MailboxConfig;
  fingerprint: string;
}

/**
 * The enabled mailboxes as pollers need them, secrets opened. A mailbox whose secret cannot be had here (sealed by a
 * key this process lacks, or kept in another process's environment) comes back in `unusable` with the reason.
 */
export async function loadRunnableMailboxes(
  db: DbOrTrx,
  box: SecretBox | null,
  environment: readonly MailboxConfig[],
  only: { ids?: readonly string[]; includeDisabled?: boolean } = {},
): Promise<{ runnable: RunnableMailbox[]; unusable: { key: string; reason: string }[] }> {
  let query = live(db);
  if (!only.includeDisabled) query = query.where('enabled', '=', true);
  if (only.ids)
    query = query.where('id', 'in', only.ids.length ? [...only.ids] : ['00000000-0000-0000-0000-000000000000']);
  const rows = await query.execute();
  const envByKey = new Map(environment.map((m) => [m.key, m]));
  const runnable: RunnableMailbox[] = [];
  const unusable: { key: string; reason: string }[] = [];
  for (const row of rows) {
    let secret: Record<string, string> | null;
    try {
      secret = box && row.auth_secret !== null ? openSecret(box, row) : null;
    } catch (err) {
      unusable.push({
        key: row.mailbox_key,
        reason: err instanceof SecretOpenError ? `stored secret: ${err.message}` : (err as Error).message,
      });
      continue;
    }
    if (!secret) {
      const fromEnv = envByKey.get(row.mailbox_key);
      if (row.source === 'env' && fromEnv) {
        const auth = fromEnv.auth ?? { type: 'password' as const, password: fromEnv.pass };
        secret = splitAuth(auth).secret;
      } else {
        unusable.push({
          key: row.mailbox_key,
          reason: box
            ? 'its secret is in the environment of another process (IMAP_URL)'
            : 'SECRETS_KEY is not set here, so the stored secret cannot be opened',
        });
        continue;
      }
    }
    const auth = joinAuth(row.auth_type as MailboxAuthType, row.auth_settings, secret);
    const config: MailboxConfig = Object.freeze({
      key: row.mailbox_key,
      id: row.id,
      host: row.host,
      port: row.port,
      secure: row.tls === 'tls',
      // An IMAP_URL mailbox keeps the URL's meaning: imap:// upgrades with STARTTLS only when the server offers it.
      tls: row.source === 'env' ? undefined : row.tls,
      user: row.username,
      pass: auth.type === 'password' ? auth.password : '',
      folder: row.folder,
      markAs: row.after_import,
      moveTo: row.move_to ?? undefined,
      tlsInsecure: row.tls_insecure,
      auth: auth.type === 'password' ? undefined : auth,
    });
    runnable.push({ config, fingerprint: fingerprintOf(config, row.changed) });
  }
  return { runnable, unusable };
}

/**
 * Changes with every setting and secret, except a refresh token the provider rotated (saveRotatedRefreshToken): the
 * running poller already uses that one, and reconnecting for it would only cost a login. A token changed through the
 * API moves `changed`, so it counts.
 */
function fingerprintOf(config: MailboxConfig, changed: Date): string {
  const auth = config.auth && 'refreshToken' in config.auth ? { ...config.auth, refreshToken: '' } : config.auth;
  return createHash('sha256')
    .update(JSON.stringify([{ ...config, auth }, changed.toISOString()]))
    .digest('base64url');
}

/**
 * Saves a mailbox's refresh token, sealed. One the provider rotated (`consented` false) is already in use by the
 * running poller, so the mailbox is not marked changed; a new consent (intake mailbox authorize) is, so its poller
 * reconnects with it.
 */
export async function saveRefreshToken(
  db: DbOrTrx,
  box: SecretBox | null,
  id: string,
  refreshToken: string,
  options: { consented?: boolean } = {},
): Promise<void> {
  const sealer = requireBox(box);
  const row = await rowOf(db, id);
  const secret = { ...(openSecret(sealer, row) ?? {}), refreshToken };
  await db
    .updateTable('mailboxes')
    .set({
      auth_secret: sealer.seal(JSON.stringify(secret), row.id),
      ...(options.consented ? { changed: sql`now()`, source: 'api' as const } : {}),
    })
    .where('id', '=', row.id)
    .execute();
}

/** A stored mailbox by its Name (any letter case), its Key or its User; null when none or more than one match. */
export async function findMailbox(
  db: DbOrTrx,
  box: SecretBox | null,
  name: string,
): Promise<{ record: MailboxRecord; auth: MailboxAuth | null } | null> {
  const rows = await live(db)
    .where((eb) =>
      eb.or([eb(sql`lower(name)`, '=', name.toLowerCase()), eb('mailbox_key', '=', name), eb('username', '=', name)]),
    )
    .execute();
  if (rows.length !== 1) return null;
  const row = rows[0]!;
  let secret: Record<string, string> | null;
  try {
    secret = openSecret(box, row);
  } catch {
    // Sealed by a key this process lacks: the caller falls back to what it is given.
    secret = null;
  }
  const type = row.auth_type as MailboxAuthType;
  return { record: toRecord(row), auth: secret ? joinAuth(type, row.auth_settings, secret) : null };
}

/** Seals every stored secret again with the current key (after SECRETS_KEY changed); returns how many changed. */
export async function rotateSecrets(db: Db, box: SecretBox | null): Promise<{ resealed: number; total: number }> {
  const sealer = requireBox(box);
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('mailboxes').select(['id', 'auth_secret']).forUpdate().execute();
    let resealed = 0;
    let total = 0;
    for (const row of rows) {
      if (row.auth_secret === null) continue;
      total++;
      if (!sealer.isStale(row.auth_secret)) continue;
      const plain = sealer.open(row.auth_secret, row.id);
      await trx
        .updateTable('mailboxes')
        .set({ auth_secret: sealer.seal(plain, row.id) })
        .where('id', '=', row.id)
        .execute();
      resealed++;
    }
    return { resealed, total };
  });
}
