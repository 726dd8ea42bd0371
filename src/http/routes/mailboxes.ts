import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../app-context.js';
import { testMailboxConnection } from '../../imap/test-connection.js';
import { MAILBOX_AUTH_TYPES, type MailboxAuthType } from '../../mailboxes/credentials.js';
import {
  createMailbox,
  deleteMailbox,
  getMailbox,
  listMailboxes,
  loadRunnableMailboxes,
  secretBoxFor,
  updateMailbox,
  type MailboxInput,
  type MailboxRecord,
} from '../../mailboxes/mailbox-store.js';
import { listMailboxHealth, redisLeaseLookup, type MailboxHealth } from '../../ops/mailboxes.js';
import { ServiceUnavailableError, ValidationError } from '../../errors.js';
import { IdParams, Nullable } from '../schemas/common.js';
import { errorResponses } from '../schemas/error.js';

const tags = ['Mailboxes'];
const Short = (description?: string) => Type.String({ maxLength: 320, ...(description ? { description } : {}) });
/** A PEM certificate or key: 4096-bit RSA with a chain fits easily. */
const PEM_MAX_LENGTH = 16_384;
const Secret = (description: string) => Type.String({ maxLength: 8192, description: `${description} (write-only)` });

const AuthInput = Type.Object(
  {
    Type: Type.Union(
      MAILBOX_AUTH_TYPES.map((t) => Type.Literal(t)),
      { description: 'How intake signs in (docs/mailboxes-oauth.md)' },
    ),
    Password: Type.Optional(Secret('password')),
    TokenUrl: Type.Optional(Short('oauth2-*: the token endpoint')),
    ClientId: Type.Optional(Short('oauth2-*, microsoft365, google')),
    ClientSecret: Type.Optional(Secret('oauth2-*, microsoft365, google')),
    RefreshToken: Type.Optional(Secret('oauth2-refresh-token, google')),
    Scope: Type.Optional(Short('oauth2-*: the scope to ask for')),
    TenantId: Type.Optional(Short('microsoft365: the Entra tenant (id or domain)')),
    Certificate: Type.Optional(
      Type.String({
        maxLength: PEM_MAX_LENGTH,
        description:
          'microsoft365, oauth2-client-credentials: instead of ClientSecret, the PEM of the X.509 certificate uploaded to the app (shown back as CertificateThumbprint)',
      }),
    ),
    PrivateKey: Type.Optional(
      Type.String({
        maxLength: PEM_MAX_LENGTH,
        description: "with Certificate: the PEM of the certificate's RSA private key, unencrypted (write-only)",
      }),
    ),
    ClientAuth: Type.Optional(
      Type.Union([Type.Literal('basic'), Type.Literal('body')], {
        description: 'oauth2-*: the client id and secret in HTTP Basic (default) or in the form body',
      }),
    ),
  },
  {
    additionalProperties: false,
    title: 'MailboxAuthInput',
    description:
      'One of {"Type":"password","Password"}, {"Type":"oauth2-client-credentials","TokenUrl","ClientId","ClientSecret","Scope"}, {"Type":"oauth2-refresh-token","TokenUrl","ClientId","ClientSecret","RefreshToken","Scope"}, {"Type":"microsoft365","TenantId","ClientId","ClientSecret"} (or "Certificate","PrivateKey" instead of "ClientSecret", also for oauth2-client-credentials), {"Type":"google","ClientId","ClientSecret","RefreshToken"}. On PUT with the same Type, secret fields left out keep their stored values, unless TokenUrl, TenantId or (for a password) Host changes.',
  },
);

const fields = {
  Name: Type.String({ minLength: 1, maxLength: 200, description: 'Unique, whatever the letter case' }),
  Host: Type.String({ minLength: 1, maxLength: 253 }),
  Port: Type.Integer({ minimum: 1, maximum: 65535, description: 'Default 993 with Tls "tls", else 143' }),
  Tls: Type.Union([Type.Literal('none'), Type.Literal('starttls'), Type.Literal('tls')], {
    description: 'tls: IMAPS (default); starttls: plain IMAP upgraded, required; none: no encryption',
  }),
  TlsInsecure: Type.Boolean({ description: 'Accept any certificate (test servers only). Default false' }),
  User: Type.String({ minLength: 1, maxLength: 320, description: 'The IMAP user (the mailbox address with OAuth2)' }),
  Folder: Type.String({ minLength: 1, maxLength: 200, description: 'Default INBOX' }),
  AfterImport: Type.Union([Type.Literal('seen'), Type.Literal('move'), Type.Literal('delete')], {
    description: 'What happens to a message on the server once it is stored: flagged \\Seen (default), moved, deleted',
  }),
  MoveTo: Nullable(Type.String({ maxLength: 200, description: 'The folder for AfterImport "move"' })),
  Enabled: Type.Boolean({ description: 'Default true; false stops the pollers watching it' }),
};

const MailboxCreate = Type.Object(
  {
    Name: fields.Name,
    Host: fields.Host,
    Port: Type.Optional(fields.Port),
    Tls: Type.Optional(fields.Tls),
    TlsInsecure: Type.Optional(fields.TlsInsecure),
    User: fields.User,
    Folder: Type.Optional(fields.Folder),
    AfterImport: Type.Optional(fields.AfterImport),
    MoveTo: Type.Optional(fields.MoveTo),
    Enabled: Type.Optional(fields.Enabled),
    Auth: AuthInput,
  },
  { additionalProperties: false, title: 'MailboxInput' },
);
const MailboxChange = Type.Partial(MailboxCreate, { additionalProperties: false, title: 'MailboxChange' });

const HealthSchema = Type.Object(
  {
    State: Type.String({
      description: 'As the poller last wrote it: connecting, idle, polling, error, stopped; unknown before the first',
    }),
    StateChangedAt: Nullable(Type.String({ format: 'date-time' })),
    LastError: Nullable(Type.String({ description: "The server's or provider's own words (e.g. AADSTS700016)" })),
    LastErrorAt: Nullable(Type.String({ format: 'date-time' })),
    LastImportAt: Nullable(Type.String({ format: 'date-time', description: 'When new mail was last stored' })),
    LastFetchAt: Nullable(Type.String({ format: 'date-time' })),
    Backlog: Type.Integer({ description: 'Messages stored, not yet processed' }),
    OldestBacklogAt: Nullable(Type.String({ format: 'date-time' })),
    Failed: Type.Integer({ description: 'Messages kept as failed' }),
    Uidvalidity: Nullable(Type.String()),
    LastUid: Nullable(Type.String()),
    Lease: Nullable(
      Type.Object({ Holder: Type.String({ description: 'host:pid:random of the poller' }), TtlMs: Type.Integer() }),
    ),
  },
  { title: 'MailboxHealth' },
);

const MailboxSchema = Type.Object(
  {
    Id: Type.String(),
    Name: Type.String(),
    Host: Type.String(),
    Port: Type.Integer(),
    Tls: fields.Tls,
    TlsInsecure: Type.Boolean(),
    User: Type.String(),
    Folder: Type.String(),
    AfterImport: fields.AfterImport,
    MoveTo: Nullable(Type.String()),
    Enabled: Type.Boolean(),
    Auth: Type.Object(
      {
        Type: Type.String(),
        TokenUrl: Type.Optional(Type.String()),
        ClientId: Type.Optional(Type.String()),
        Scope: Type.Optional(Type.String()),
        TenantId: Type.Optional(Type.String()),
        ClientAuth: Type.Optional(Type.String()),
        CertificateThumbprint: Type.Optional(
          Type.String({ description: 'SHA-1 thumbprint (hex) of the Certificate, as the Entra admin center lists it' }),
        ),
        CertificateExpires: Type.Optional(Type.String({ format: 'date-time' })),
        Secrets: Type.Array(Type.String(), { description: 'The secret fields it has (their values are never shown)' }),
      },
      { additionalProperties: false },
    ),
    Source: Type.Union([Type.Literal('env'), Type.Literal('api')], {
      description:
        'env: seeded from IMAP_URL(S) and kept up to date from it; api: managed here (any change makes it so)',
    }),
    Key: Type.String({ description: 'user@host:port/folder: how logs, metrics and messages name the mailbox' }),
    Created: Type.String({ format: 'date-time' }),
    Modified: Type.String({ format: 'date-time' }),
    Health: HealthSchema,
  },
  { additionalProperties: false, title: 'Mailbox' },
);

const LeftoverSchema = Type.Object(
  {
    Key: Type.String(),
    Backlog: Type.Integer(),
    Failed: Type.Integer(),
    OldestBacklogAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { title: 'RemovedMailboxBacklog' },
);

const StepName = Type.Union(['token', 'connect', 'login', 'folder', 'moveTo'].map((s) => Type.Literal(s)));
const TestSchema = Type.Object(
  {
    Ok: Type.Boolean(),
    FailedStep: Nullable(StepName),
    Steps: Type.Array(Type.Object({ Step: StepName, Ok: Type.Boolean(), Message: Type.String() })),
  },
  { title: 'MailboxTest' },
);

type MailboxJson = Static<typeof MailboxSchema>;
type HealthJson = Static<typeof HealthSchema>;

const pascal = (s: string) => s[0]!.toUpperCase() + s.slice(1);
const camel = (s: string) => s[0]!.toLowerCase() + s.slice(1);

function healthJson(h: MailboxHealth | undefined): HealthJson {
  return {
    State: h?.state ?? 'unknown',
    StateChangedAt: h?.stateChangedAt ?? null,
    LastError: h?.lastError ?? null,
    LastErrorAt: h?.lastErrorAt ?? null,
    LastImportAt: h?.lastImportAt ?? null,
    LastFetchAt: h?.lastFetchAt ?? null,
    Backlog: h?.backlog ?? 0,
    OldestBacklogAt: h?.oldestBacklogAt ?? null,
    Failed: h?.failed ?? 0,
    Uidvalidity: h?.uidvalidity ?? null,
    LastUid: h?.lastUid ?? null,
    Lease: h?.lease ? { Holder: h.lease.holder, TtlMs: h.lease.ttlMs } : null,
  };
}

function mailboxJson(m: MailboxRecord, health: MailboxHealth | undefined): MailboxJson {
  return {
    Id: m.id,
    Name: m.name,
    Host: m.host,
    Port: m.port,
    Tls: m.tls,
    TlsInsecure: m.tlsInsecure,
    User: m.user,
    Folder: m.folder,
    AfterImport: m.afterImport,
    MoveTo: m.moveTo,
    Enabled: m.enabled,
    Auth: {
      Type: m.auth.type,
      ...Object.fromEntries(Object.entries(m.auth.settings).map(([k, v]) => [pascal(k), v])),
      Secrets: m.auth.secretFields.map(pascal),
    },
    Source: m.source,
    Key: m.key,
    Created: m.created.toISOString(),
    Modified: m.changed.toISOString(),
    Health: healthJson(health),
  };
}

type ChangeBody = Static<typeof MailboxChange>;

function inputOf(body: ChangeBody): Partial<MailboxInput> {
  const auth = body.Auth
    ? (Object.fromEntries(Object.entries(body.Auth).map(([k, v]) => [camel(k), v])) as MailboxInput['auth'])
    : undefined;
  if (auth) auth.type = body.Auth!.Type as MailboxAuthType;
  return {
    name: body.Name,
    host: body.Host,
    port: body.Port,
    tls: body.Tls,
    tlsInsecure: body.TlsInsecure,
    user: body.User,
    folder: body.Folder,
    afterImport: body.AfterImport,
    moveTo: body.MoveTo,
    enabled: body.Enabled,
    auth,
  };
}

/**
 * /api/admin/mailboxes: the mailboxes the pollers watch, managed live (a change reaches the pollers within seconds by
 * NOTIFY), with each one's health. Secrets go in and never come out: not in a response, not in a log line.
 */
export function mailboxRoutes(ctx: AppContext): FastifyPluginAsync {
  const secrets = secretBoxFor(ctx.config.secretsKeys);
  const leaseHolder = ctx.redis ? redisLeaseLookup(ctx.redis, ctx.config.queuePrefix) : undefined;
  const healthOf = async (list: MailboxRecord[]) => {
    const report = await listMailboxHealth(ctx.db, list, { leaseHolder });
    return { byKey: new Map(report.mailboxes.map((h) => [h.mailbox, h])), report };
  };
  const one = async (m: MailboxRecord) => mailboxJson(m, (await healthOf([m])).byKey.get(m.key));

  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get(
      '/admin/mailboxes',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'The mailboxes, by name, each with its health; and the backlog of removed ones. Needs: admin',
          operationId: 'listMailboxes',
          response: {
            200: Type.Object({
              Mailboxes: Type.Array(MailboxSchema),
              Removed: Type.Array(LeftoverSchema, {
                description: 'Mailboxes no longer configured that still have unprocessed or failed messages',
              }),
              BacklogTotal: Type.Integer({ description: 'Messages stored, not yet processed, from every source' }),
            }),
            ...errorResponses(403),
          },
        },
      },
      async () => {
        const list = await listMailboxes(ctx.db);
        const { byKey, report } = await healthOf(list);
        const known = new Set(list.map((m) => m.key));
        return {
          Mailboxes: list.map((m) => mailboxJson(m, byKey.get(m.key))),
          Removed: report.mailboxes
            .filter((h) => !known.has(h.mailbox) && h.backlog + h.failed > 0)
            .map((h) => ({
              Key: h.mailbox,
              Backlog: h.backlog,
              Failed: h.failed,
              OldestBacklogAt: h.oldestBacklogAt,
            })),
          BacklogTotal: report.backlogTotal,
        };
      },
    );

    r.post(
      '/admin/mailboxes',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Add a mailbox: the pollers start watching it within seconds. Needs: admin',
          description:
            'Its secrets are sealed (AES-256-GCM, SECRETS_KEY) before they are stored; without SECRETS_KEY in production the answer is 503.',
          operationId: 'createMailbox',
          body: MailboxCreate,
          response: { 201: MailboxSchema, ...errorResponses(400, 403, 409) },
        },
      },
      async (req, reply) => {
        const m = await createMailbox(ctx.db, secrets, inputOf(req.body) as MailboxInput);
        return reply.status(201).send(await one(m));
      },
    );

    r.get(
      '/admin/mailboxes/:id',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'One mailbox with its health. Needs: admin',
          operationId: 'getMailbox',
          params: IdParams,
          response: { 200: MailboxSchema, ...errorResponses(403, 404) },
        },
      },
      async (req) => one(await getMailbox(ctx.db, req.params.id)),
    );

    r.put(
      '/admin/mailboxes/:id',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary:
            'Change a mailbox (the fields given; the rest stays): its poller reconnects within seconds. Needs: admin',
          operationId: 'updateMailbox',
          params: IdParams,
          body: MailboxChange,
          response: { 200: MailboxSchema, ...errorResponses(400, 403, 404, 409) },
        },
      },
      async (req) => {
        if (Object.keys(req.body).length === 0) throw new ValidationError('Send at least one field to change');
        return one(await updateMailbox(ctx.db, secrets, req.params.id, inputOf(req.body)));
      },
    );

    r.delete(
      '/admin/mailboxes/:id',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary:
            'Remove a mailbox: its poller stops within seconds; messages already stored are processed. Needs: admin',
          operationId: 'deleteMailbox',
          params: IdParams,
          response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(403, 404) },
        },
      },
      async (req, reply) => {
        await deleteMailbox(ctx.db, req.params.id);
        return reply.status(204).send(null);
      },
    );

    r.post(
      '/admin/mailboxes/:id/test',
      {
        config: { needs: 'admin' },
        schema: {
          tags,
          summary: 'Try a mailbox now: token, connect, login, folder; the first step that fails, and why. Needs: admin',
          description:
            "Answers within 15 s. Uses a token of its own (the pollers' are not touched) and the stored settings, enabled or not.",
          operationId: 'testMailbox',
          params: IdParams,
          response: { 200: TestSchema, ...errorResponses(403, 404) },
        },
      },
      async (req) => {
        const m = await getMailbox(ctx.db, req.params.id);
        const { runnable, unusable } = await loadRunnableMailboxes(ctx.db, secrets, ctx.config.mailboxes, {
          ids: [m.id],
          includeDisabled: true,
        });
        const target = runnable[0]?.config;
        if (!target) throw new ServiceUnavailableError(`This mailbox cannot be tried here: ${unusable[0]?.reason}`);
        const t = await testMailboxConnection(target);
        return {
          Ok: t.ok,
          FailedStep: t.failedStep,
          Steps: t.steps.map((s) => ({ Step: s.step, Ok: s.ok, Message: s.message })),
        };
      },
    );
  };
}
