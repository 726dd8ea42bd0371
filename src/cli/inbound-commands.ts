import { parseArgs } from 'node:util';
import { DEFAULT_INGEST_WAIT_MS, ingestFiles, waitForMessages } from '../inbound/ingest-files.js';
import { registerCommand } from './registry.js';
import { withQueues } from './with-queues.js';

const INGEST_USAGE = `usage: intake ingest [--wait] [--timeout <seconds>] <file.eml|mbox>...

  Stores each message (mailbox "file:<name>") and queues it for the worker, exactly like the poller.
  A message stored before is reported as "duplicate" and makes no second case.
  --wait            wait until the worker has processed every message and print its case number
  --timeout <s>     how long --wait waits (default ${DEFAULT_INGEST_WAIT_MS / 1000})
`;

registerCommand('ingest', async (args) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (values.help || positionals.length === 0) {
    process.stderr.write(INGEST_USAGE);
    return values.help ? 0 : 2;
  }
  const timeoutMs = values.timeout === undefined ? DEFAULT_INGEST_WAIT_MS : Number(values.timeout) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0)
    throw new Error(`--timeout must be a number of seconds, got "${values.timeout}"`);

  return withQueues(async ({ config, db, queues }) => {
    const results = await ingestFiles(db, queues, positionals, (m) => {
      console.log(
        `${m.inserted ? 'stored   ' : 'duplicate'}  message ${m.messageRowId}  ${m.file}#${m.index}  <${m.messageId ?? 'no Message-ID'}>`,
      );
    });
    const stored = results.filter((r) => r.inserted).length;
    console.log(
      `${results.length} message(s) from ${positionals.length} file(s): ${stored} stored, ${results.length - stored} duplicate(s) (a duplicate already processed is not processed again); queued for the worker`,
    );
    if (!values.wait) return 0;

    const { done, outcomes } = await waitForMessages(
      db,
      results.map((r) => r.messageRowId),
      timeoutMs,
    );
    for (const o of outcomes) {
      const what =
        o.status === 'failed'
          ? `failed: ${o.error ?? ''}`
          : `${o.status} ${o.action ?? ''} ${o.caseNumber ?? ''}`.trim();
      console.log(`message ${o.messageRowId}  ${what}`);
    }
    const failed = outcomes.filter((o) => o.status === 'failed').length;
    const cases = [...new Set(outcomes.map((o) => o.caseNumber).filter(Boolean))];
    console.log(`${outcomes.length - failed} processed, ${failed} failed; cases: ${cases.join(', ') || 'none'}`);
    if (!done) {
      console.error(
        `intake ingest: the worker did not finish within ${timeoutMs / 1000}s (is \`worker\` running with QUEUE_PREFIX=${config.queuePrefix}?)`,
      );
      return 1;
    }
    return failed > 0 ? 1 : 0;
  });
});
