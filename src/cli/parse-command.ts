import { parseArgs } from 'node:util';
import { loadConfigFromEnvironment } from '../config.js';
import { createDb } from '../db/database.js';
import { readMessageFile } from '../inbound/message-files.js';
import { previewMessage } from '../inbound/preview.js';
import { registerCommand } from './registry.js';

const PARSE_USAGE = `usage: intake parse <file.eml|mbox>

  Prints the normalised message as JSON with the threading decision the worker would take.
  Stores nothing; the database is only read (when unreachable, the Decision's Reason says so).
`;

registerCommand('parse', async (args) => {
  const { positionals } = parseArgs({ args, allowPositionals: true });
  if (positionals.length !== 1) {
    process.stderr.write(PARSE_USAGE);
    return 2;
  }
  const config = loadConfigFromEnvironment();
  const raws = await readMessageFile(positionals[0]!);
  const db = createDb(config.databaseUrl, { poolSize: 1 });
  try {
    const out = [];
    for (const raw of raws) out.push(await previewMessage(db, config, raw));
    console.log(JSON.stringify(out.length === 1 ? out[0] : out, null, 2));
    return 0;
  } finally {
    await db.destroy();
  }
});
