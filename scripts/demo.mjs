#!/usr/bin/env node
// `npm run demo`: sends the sample mails in fixtures/demo/ through the running stack (`npm run dev`) and
// prints the cases they became. With a mailbox configured they are APPENDed to it (the poller fetches
// them); otherwise, or with --files, they go in through `intake ingest`. Each run gets fresh Message-IDs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
const FIXTURES = join(root, 'fixtures/demo');
const WAIT_MS = Number(process.env.DEMO_TIMEOUT_MS ?? 90_000);
const say = (line) => console.log(line);
const die = (line) => {
  console.error(`intake demo: ${line}`);
  process.exit(1);
};

register();
const { loadConfigFromEnvironment, parseMailboxUrl } = await import('../src/config.ts');
let config;
try {
  config = loadConfigFromEnvironment();
} catch (err) {
  die(err.message);
}
const base = process.env.INTAKE_API_URL ?? `http://127.0.0.1:${config.port}`;
try {
  await fetch(`${base}/healthz`);
} catch {
  die(
    `the stack is not running at ${base}: start it with "npm run dev" in another terminal, then run "npm run demo" again`,
  );
}

function cli(args) {
  const res = spawnSync(process.execPath, ['bin/intake.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, INTAKE_FROM_SOURCE: '1' },
  });
  if (res.status !== 0) die(`intake ${args[0]} failed: ${(res.stderr || res.stdout).trim()}`);
  return res;
}

// A read key of the demo's own (revoked at the end), unless one is given.
let key = process.env.INTAKE_API_KEY;
let keyId = null;
if (!key) {
  const res = cli(['apikey', 'create', '--scope', 'read', '--name', 'npm run demo']);
  key = res.stdout.trim();
  keyId = /\(id ([^)]+)\)/.exec(res.stderr)?.[1] ?? null;
}
async function api(path) {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok) die(`GET ${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

// Fresh identities per run, so a second demo makes new cases instead of duplicates.
const run = Date.now().toString(36);
const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.eml'))
  .sort();
const mails = files.map((file) => {
  const raw = readFileSync(join(FIXTURES, file), 'utf8')
    .replace(/demo-(\d+)@intake\.example/g, `demo-$1-${run}@intake.example`)
    .replace(/^Date: .*$/m, `Date: ${new Date().toUTCString()}`);
  const messageId = /^Message-ID: <([^>]+)>/im.exec(raw)[1];
  return { file, raw, messageId, reply: /^In-Reply-To:/im.test(raw) };
});

// The try-out mailbox of `npm run dev -- --with-mailbox` when .env names none (scripts/dev-mailbox.mjs).
const devState = join(process.env.INTAKE_DEV_DIR || join(root, '.intake-dev'), 'mailbox.json');
const mailboxes =
  config.mailboxes.length > 0 || !existsSync(devState)
    ? config.mailboxes
    : [parseMailboxUrl(JSON.parse(readFileSync(devState, 'utf8')).imapUrl)];
const useImap = mailboxes.length > 0 && !process.argv.includes('--files');
async function send(batch) {
  if (useImap) {
    const { ImapFlow } = await import('imapflow');
    const m = mailboxes[0];
    const client = new ImapFlow({
      host: m.host,
      port: m.port,
      secure: m.secure,
      auth: { user: m.user, pass: m.pass },
      logger: false,
      tls: { rejectUnauthorized: !m.tlsInsecure },
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      for (const mail of batch) await client.append(m.folder, mail.raw);
    } finally {
      await client.logout().catch(() => undefined);
    }
    say(`appended ${batch.map((b) => b.file).join(', ')} to ${m.key}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'intake-demo-'));
  try {
    const paths = batch.map((mail) => {
      const path = join(dir, mail.file);
      writeFileSync(path, mail.raw);
      return path;
    });
    cli(['ingest', ...paths]);
    say(`ingested ${batch.map((b) => b.file).join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitFor(batch) {
  const wanted = new Set(batch.map((b) => b.messageId));
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const list = await api('/api/inbound/messages?Limit=100');
    const ours = list.filter((m) => wanted.has(m.MessageId));
    const done = ours.filter((m) => !['queued', 'processing'].includes(m.Status));
    if (done.length === wanted.size) return done;
    if (Date.now() > deadline) {
      const hint =
        ours.length < wanted.size
          ? useImap
            ? 'is the poller running and polling this mailbox?'
            : 'were they stored?'
          : 'is the worker running?';
      die(`${done.length} of ${wanted.size} messages processed after ${WAIT_MS / 1000}s: ${hint}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

try {
  // New conversations first; the follow-up only after its case exists, as in real life.
  const processed = [];
  for (const batch of [mails.filter((m) => !m.reply), mails.filter((m) => m.reply)]) {
    if (batch.length === 0) continue;
    await send(batch);
    processed.push(...(await waitFor(batch)));
  }
  say('');
  say('message                     decision    case');
  for (const mail of mails) {
    const m = processed.find((p) => p.MessageId === mail.messageId);
    const decision = m.Status === 'failed' ? `failed: ${m.Error}` : (m.Decision?.Action ?? m.Status);
    say(
      `${mail.file.padEnd(27)} ${decision.padEnd(11)} ${m.Decision?.CaseNumber ?? '-'}${m.Classification && m.Classification !== 'normal' ? `  (${m.Classification})` : ''}`,
    );
  }
  const caseIds = [...new Set(processed.map((m) => m.CaseId).filter(Boolean))];
  say('');
  say('case        status      notes  customer                               subject');
  for (const id of caseIds) {
    const c = await api(`/api/cases/${id}`);
    const customer = c.CustomerName ? `${c.CustomerName} <${c.CustomerEmail}>` : (c.CustomerEmail ?? '-');
    const notes = c.CaseNotes.length + c.InternalNotes.length;
    say(
      `${c.CaseNumber.padEnd(11)} ${c.Status.padEnd(11)} ${String(notes).padEnd(6)} ${customer.padEnd(38)} ${c.Subject}`,
    );
  }
  say('');
  say(
    `see them at ${base}/swagger (GET /api/cases/{id}) or with: curl -H "Authorization: Bearer <key>" ${base}/api/cases/<case number>`,
  );
} finally {
  if (keyId) cli(['apikey', 'revoke', keyId]);
}
