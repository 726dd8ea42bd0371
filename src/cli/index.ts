import { main } from './main.js';
import './inbound-commands.js';
import './outbound-commands.js';
import './requeue-stale-command.js';
import './send-test-mail-command.js';

/** Entry for bin/intake.mjs: loads every command, then runs the one asked for. */
export async function run(argv: string[]): Promise<number> {
  return main(argv);
}
