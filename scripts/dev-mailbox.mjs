// `npm run dev -- --with-mailbox`: a mailbox to try intake with, no mail server of your own needed.
//  - Dovecot (IMAP) on 127.0.0.1:DEV_IMAP_PORT with the mailbox support@localhost, polled by the poller;
//  - an SMTP catcher (smtp-server) on 127.0.0.1:DEV_SMTP_PORT, intake's SMTP_URL: mail to support@localhost
//    (or support+<token>@localhost, a reply) goes into that mailbox, anything else (acknowledgements, staff
//    replies) is saved as .eml files in .intake-dev/sent/.
// Both run only while dev runs. `npx intake send-test-mail` finds them through .intake-dev/mailbox.json.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImapFlow } from 'imapflow';
import { SMTPServer } from 'smtp-server';

export const DEV_MAILBOX_USER = 'support@localhost';
export const DEV_MAILBOX_PASSWORD = 'intake-dev';
export const DEFAULT_DEV_IMAP_PORT = 3143;
export const DEFAULT_DEV_SMTP_PORT = 3025;
const WRAP = fileURLToPath(new URL('./dev-wrap.mjs', import.meta.url));
const ENSURE_DOVECOT = fileURLToPath(new URL('./ensure-dovecot.sh', import.meta.url));

/** What the try-out mailbox needs from the distribution: Dovecot (dev installs it with PostgreSQL and Redis). */
export function mailboxPackages() {
  const found = spawnSync('sh', [ENSURE_DOVECOT, '--find-only'], { stdio: 'ignore' }).status === 0;
  return [{ pkg: 'dovecot-imapd', present: found }];
}

/** The try-out mailbox's files: its state (for send-test-mail and the demo) and the caught outbound mail. */
export function devMailboxPaths(root) {
  const dir = process.env.INTAKE_DEV_DIR || join(root, '.intake-dev');
  return { dir, state: join(dir, 'mailbox.json'), sent: join(dir, 'sent') };
}

function dovecotConfig(dir, port) {
  const root = userInfo().uid === 0;
  const me = userInfo();
  // Dovecot refuses mail access as root: as root, mail belongs to `nobody` and helpers run as Debian's users.
  return `# Written by scripts/dev-mailbox.mjs for npm run dev -- --with-mailbox.
instance_name = intake-dev-${port}
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
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = static
  args = password=${DEV_MAILBOX_PASSWORD}
}
userdb {
  driver = static
  args = uid=${root ? 65534 : me.uid} gid=${root ? 65534 : me.gid} home=${dir}/home/%u
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
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`;
}

async function imapGreets(port) {
  return new Promise((done) => {
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
}

async function appendToMailbox(port, raw) {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: false,
    doSTARTTLS: false,
    auth: { user: DEV_MAILBOX_USER, pass: DEV_MAILBOX_PASSWORD },
    logger: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.append('INBOX', raw);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

const toMailbox = (address) => {
  const [local, domain] = address.toLowerCase().split('@');
  return domain === 'localhost' && local.split('+')[0] === 'support';
};

/**
 * Starts Dovecot and the SMTP catcher; resolves with the settings for intake's processes, the Dovecot
 * process (dev stops it with the others) and stop() for the catcher. Throws one line when it cannot.
 */
export async function startDevMailbox({ root, imapPort, smtpPort, log }) {
  const ensured = spawnSync('sh', [ENSURE_DOVECOT], { encoding: 'utf8' });
  if (ensured.status !== 0) throw new Error(ensured.stderr.trim() || 'Dovecot could not be found or installed');
  const bin = ensured.stdout.trim().split('\n').pop();

  // Dovecot's unprivileged helpers must reach their sockets: a directory under the system's temp dir.
  const dir = join(tmpdir(), `intake-dev-mailbox-${imapPort}`);
  mkdirSync(join(dir, 'home'), { recursive: true });
  chmodSync(dir, 0o755);
  if (userInfo().uid === 0) chownSync(join(dir, 'home'), 65534, 65534);
  rmSync(join(dir, 'run'), { recursive: true, force: true });
  writeFileSync(join(dir, 'dovecot.conf'), dovecotConfig(dir, imapPort));
  // Its own process group (detached), like dev's Redis: a terminal's Ctrl-C must not stop the mailbox before the
  // poller has let go of it; dev stops it after intake's processes, and dev-wrap stops it when dev is gone.
  const dovecot = spawn(process.execPath, [WRAP, bin, '-F', '-c', join(dir, 'dovecot.conf')], {
    stdio: ['pipe', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  dovecot.stderr.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 15_000;
  while (!(await imapGreets(imapPort))) {
    if (dovecot.exitCode !== null || Date.now() > deadline) {
      dovecot.kill('SIGTERM');
      const logText = existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '';
      throw new Error(
        `the try-out IMAP server did not start on 127.0.0.1:${imapPort}: ${(stderr || logText.split('\n').slice(-3).join(' ')).trim() || 'no answer'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const paths = devMailboxPaths(root);
  mkdirSync(paths.sent, { recursive: true });
  let seq = 0;
  const catcher = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    banner: 'intake dev mail catcher',
    // No reverse DNS of 127.0.0.1: where no resolver answers, it holds every mail for seconds.
    disableReverseLookup: true,
    onData(stream, session, callback) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const rcpt = session.envelope.rcptTo.map((r) => r.address);
        const inbound = rcpt.filter(toMailbox);
        const outbound = rcpt.filter((a) => !toMailbox(a));
        const work = [];
        if (inbound.length > 0) work.push(appendToMailbox(imapPort, raw));
        if (outbound.length > 0) {
          const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${++seq}.eml`;
          writeFileSync(join(paths.sent, name), raw);
          log(`caught mail to ${outbound.join(', ')}: ${join(paths.sent, name)}`);
        }
        Promise.all(work).then(
          () => callback(),
          (err) =>
            callback(Object.assign(new Error(`4.3.0 mailbox unavailable: ${err.message}`), { responseCode: 451 })),
        );
      });
    },
  });
  catcher.on('error', (err) => log(`mail catcher: ${err.message}`));
  await new Promise((resolve, reject) => {
    catcher.server.once('error', reject);
    catcher.listen(smtpPort, '127.0.0.1', () => {
      catcher.server.off('error', reject);
      resolve();
    });
  });

  const imapUrl = `imap://${encodeURIComponent(DEV_MAILBOX_USER)}:${DEV_MAILBOX_PASSWORD}@127.0.0.1:${imapPort}/INBOX`;
  const smtpUrl = `smtp://127.0.0.1:${smtpPort}`;
  writeFileSync(
    paths.state,
    `${JSON.stringify({ address: DEV_MAILBOX_USER, imapUrl, smtpUrl, sent: paths.sent }, null, 2)}\n`,
  );
  return {
    imapUrl,
    smtpUrl,
    sentDir: paths.sent,
    dovecot,
    async stop() {
      rmSync(paths.state, { force: true });
      await new Promise((r) => catcher.close(() => r()));
    },
  };
}
