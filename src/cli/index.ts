import { runCommand } from './registry.js';

/**
 * The module each command lives in. Only the one asked for is loaded: loading all of them (queues, IMAP, SMTP,
 * the whole parser) took seconds before any command ran.
 */
const COMMAND_MODULES: Record<string, () => Promise<unknown>> = {
  migrate: () => import('./core-commands.js'),
  apikey: () => import('./core-commands.js'),
  user: () => import('./user-commands.js'),
  ingest: () => import('./inbound-commands.js'),
  parse: () => import('./parse-command.js'),
  'requeue-stale': () => import('./requeue-stale-command.js'),
  outbox: () => import('./outbound-commands.js'),
  'send-test-mail': () => import('./send-test-mail-command.js'),
  mailbox: () => import('./mailbox-commands.js'),
  secrets: () => import('./mailbox-commands.js'),
};

/** Entry for bin/intake.mjs: loads the module of the command asked for, then runs it. */
export async function run(argv: string[]): Promise<number> {
  const load = argv[0] ? COMMAND_MODULES[argv[0]] : undefined;
  if (load) await load();
  return runCommand(argv);
}
