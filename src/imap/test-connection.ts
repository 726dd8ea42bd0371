import type { MailboxConfig } from '../config.js';
import { OAuth2Credentials, MailboxAuthError, type MailLogin } from '../mailboxes/credentials.js';
import { imapCheck } from '../ops/health.js';
import { isLoginRefused, loginRefusedText, newImapClient } from './imap-client.js';
import { mailboxTlsHint } from './tls-hint.js';

export type ConnectionStep = 'token' | 'connect' | 'login' | 'folder' | 'moveTo';

export interface StepResult {
  step: ConnectionStep;
  ok: boolean;
  message: string;
}

export interface ConnectionTest {
  ok: boolean;
  /** The first step that failed; null when all worked. */
  failedStep: ConnectionStep | null;
  steps: StepResult[];
}

/** The whole test answers within this long, whatever the server does. */
export const CONNECTION_TEST_TIMEOUT_MS = 15_000;

/**
 * Tries a mailbox the way its poller would, one step at a time: a token from the provider (OAuth2 only), a connection
 * that greets, the login, the folder (and the MoveTo folder). Stops at the first step that fails and says why in the
 * server's or provider's own words. Uses a token of its own: the pollers' cached tokens are not touched.
 */
export async function testMailboxConnection(
  mailbox: MailboxConfig,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<ConnectionTest> {
  const steps: StepResult[] = [];
  const deadline = Date.now() + (options.timeoutMs ?? CONNECTION_TEST_TIMEOUT_MS);
  let client: ReturnType<typeof newImapClient> | undefined;
  const run = async (step: ConnectionStep, fn: () => Promise<string>): Promise<boolean> => {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const message = await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(left / 1000)} s`)), left);
        }),
      ]);
      steps.push({ step, ok: true, message });
      return true;
    } catch (err) {
      steps.push({ step, ok: false, message: describe(err) });
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  let login: MailLogin = { user: mailbox.user, pass: mailbox.pass };
  try {
    const auth = mailbox.auth;
    if (auth && auth.type !== 'password') {
      const ok = await run('token', async () => {
        const credentials = new OAuth2Credentials(mailbox.user, auth, { fetch: options.fetch });
        login = await credentials.login();
        return 'the provider issued an access token';
      });
      if (!ok) return result(steps);
    }
    if (!(await run('connect', async () => (await imapCheck(mailbox)(), `${mailbox.host}:${mailbox.port} greeted`))))
      return result(steps);
    client = newImapClient(mailbox, {}, login);
    client.on('error', () => undefined);
    const c = client;
    if (!(await run('login', async () => (await c.connect(), `signed in as ${mailbox.user}`)))) return result(steps);
    if (
      !(await run('folder', async () => {
        const status = await c.status(mailbox.folder, { messages: true, uidNext: true });
        if (!status) throw new Error(`the server has no folder ${mailbox.folder}`);
        return `${mailbox.folder}: ${status.messages ?? 0} messages`;
      }))
    )
      return result(steps);
    if (mailbox.markAs === 'move' && mailbox.moveTo) {
      const target = mailbox.moveTo;
      await run('moveTo', async () => {
        const list = await c.list();
        if (list.some((f) => f.path === target)) return `${target} exists`;
        return `${target} does not exist yet: the poller creates it before the first move`;
      });
    }
    return result(steps);
  } finally {
    if (client) await client.logout().catch(() => client?.close());
  }
}

function result(steps: StepResult[]): ConnectionTest {
  const failed = steps.find((s) => !s.ok);
  return { ok: !failed, failedStep: failed?.step ?? null, steps };
}

function describe(err: unknown): string {
  if (err instanceof MailboxAuthError) return err.message;
  if (isLoginRefused(err)) return `login refused by the server: ${loginRefusedText(err)}`;
  const hint = mailboxTlsHint(err);
  const message = err instanceof Error ? err.message : String(err);
  return hint ? `${message}: ${hint}` : message;
}
