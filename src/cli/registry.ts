import { AppError } from '../errors.js';

/**
 * The CLI's command table, kept free of heavy imports: `bin/intake.mjs` loads only the module of the command it
 * runs (src/cli/index.ts), so `intake --help` and `intake parse` do not load the queue, HTTP or IMAP code.
 */
export const USAGE = `usage: intake <command>

  migrate                                   apply pending database migrations
  apikey create --scope read|agent|admin --name N  print a new API key (only its hash is stored)
  apikey list                               list keys (never the keys themselves)
  apikey revoke <id>                        revoke a key
  user create --email E --name N --role agent|admin [--password P]
                                            add a staff user (prints a generated password when none is given)
  user list                                 list staff users
  user disable <email|id>                   disable a staff user and end their sessions
  ingest [--wait] <file.eml|mbox>...        store and queue messages for the worker (same path as the poller)
  parse <file.eml>                          print the normalised message and the threading decision as JSON
  requeue-stale [--older-than <seconds>]    queue again stored messages whose job Redis lost
  outbox list [--status S] [--limit N]      list outbound mail and its delivery state
  outbox retry <id>                         send a failed outbound mail again
  send-test-mail --from A --subject S [--body T]  mail the try-out mailbox (npm run dev -- --with-mailbox)
  mailbox list                              list the stored mailboxes (/api/admin/mailboxes)
  mailbox authorize <name> [--paste]         consent for a Google / OAuth2 refresh-token mailbox; stores the token in
                                            the stored mailbox <name>, or prints it for IMAP_OAUTH_REFRESH_TOKEN
  secrets rotate                            seal every stored secret again with SECRETS_KEY (after changing it)
`;

export type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {};

/** Registers a command (each command module registers its own when it is loaded). */
export function registerCommand(name: string, command: Command): void {
  commands[name] = command;
}

/** Runs a registered command; an unknown or missing name prints the usage. */
export async function runCommand(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(USAGE);
    return name && name !== '--help' && name !== '-h' && name !== 'help' ? 2 : 0;
  }
  try {
    return await command(args);
  } catch (err) {
    // One clear line for the operator, not a stack trace.
    const message = err instanceof AppError || err instanceof Error ? err.message : String(err);
    console.error(`intake ${name}: ${message}`);
    return 1;
  }
}
