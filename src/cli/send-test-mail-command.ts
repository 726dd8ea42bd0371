import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { loadConfigFromEnvironment } from '../config.js';
import { newImapClient } from '../imap/imap-client.js';
import { credentialsFor } from '../mailboxes/credentials.js';
import { registerCommand } from './registry.js';

const USAGE = `usage: intake send-test-mail --from <address> --subject <text> [--body <text>] [--to <address>]

  Sends one mail to the try-out mailbox of "npm run dev -- --with-mailbox" (support@localhost), through
  its SMTP catcher, as a customer's mail client would; where none runs (compose.yaml), appends it to the
  mailbox of IMAP_URL. The poller then makes a case of it.
`;

/** Where `npm run dev -- --with-mailbox` keeps its state (scripts/dev-mailbox.mjs); INTAKE_DEV_DIR moves it. */
export function devDir(): string {
  return resolve(process.env.INTAKE_DEV_DIR || '.intake-dev');
}

interface DevMailboxState {
  address: string;
  smtpUrl: string;
}

registerCommand('send-test-mail', async (args) => {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      subject: { type: 'string' },
      body: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.from || values.subject === undefined) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  const stateFile = join(devDir(), 'mailbox.json');
  if (!existsSync(stateFile)) {
    // No try-out mailbox of npm run dev here (compose.yaml, say): APPEND to the mailbox intake polls.
    const config = loadConfigFromEnvironment();
    const mailbox = config.mailboxes[0];
    if (!mailbox)
      throw new Error(
        'no try-out mailbox is running and no IMAP_URL is set: start one with "npm run dev -- --with-mailbox" first',
      );
    // nodemailer's stream transport builds the message without sending it.
    const built = await nodemailer.createTransport({ streamTransport: true, buffer: true }).sendMail({
      from: values.from,
      to: values.to ?? mailbox.user,
      subject: values.subject,
      text: values.body ?? `Hello,\n\n${values.subject}\n\nThanks`,
    });
    const raw = built.message as Buffer;
    const client = newImapClient(mailbox, {}, await credentialsFor(mailbox).login());
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.append(mailbox.folder, raw);
    } finally {
      await client.logout().catch(() => client.close());
    }
    console.log(`appended a mail from ${values.from} to ${mailbox.key}`);
    return 0;
  }
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as DevMailboxState;
  const transport = nodemailer.createTransport({ url: state.smtpUrl, ignoreTLS: true } as never);
  try {
    const info = await transport.sendMail({
      from: values.from,
      to: values.to ?? state.address,
      subject: values.subject,
      text: values.body ?? `Hello,\n\n${values.subject}\n\nThanks`,
    });
    console.log(`sent ${info.messageId} from ${values.from} to ${values.to ?? state.address}`);
    return 0;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ECONNECTION' || e.code === 'ESOCKET')
      throw new Error(
        `the try-out mailbox does not answer at ${state.smtpUrl} (${e.message}): is "npm run dev -- --with-mailbox" still running?`,
        { cause: err },
      );
    throw err;
  } finally {
    transport.close();
  }
});
