import { parseArgs } from 'node:util';
import {
  REQUEUE_STALE_INTERVAL_MS,
  requeueStaleMessages,
  STALE_PROCESSING_MS,
  STALE_QUEUED_MS,
} from '../inbound/requeue-stale.js';
import { registerCommand } from './registry.js';
import { withQueues } from './with-queues.js';

const USAGE = `usage: intake requeue-stale [--older-than <seconds>]

  Queues again stored messages whose job is gone from Redis (a Redis restart without persistence,
  eviction): 'queued' messages older than --older-than (default ${STALE_QUEUED_MS / 1000}) and 'processing'
  messages older than ${STALE_PROCESSING_MS / 1000} s, when no waiting, active or delayed job exists for them.
  The worker process does the same every ${REQUEUE_STALE_INTERVAL_MS / 1000} s; queuing a message twice is harmless.
`;

registerCommand('requeue-stale', async (args) => {
  const { values } = parseArgs({
    args,
    options: { 'older-than': { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    process.stderr.write(USAGE);
    return 0;
  }
  const queuedMs = values['older-than'] === undefined ? STALE_QUEUED_MS : Number(values['older-than']) * 1000;
  if (!Number.isFinite(queuedMs) || queuedMs < 0)
    throw new Error(`--older-than must be a number of seconds, got "${values['older-than']}"`);

  return withQueues(async ({ db, queues }) => {
    const result = await requeueStaleMessages(db, queues, { queuedMs });
    console.log(
      `${result.checked} stale message(s) checked, ${result.requeued.length} without a job queued again${result.requeued.length ? `: ${result.requeued.join(', ')}` : ''}`,
    );
    return 0;
  });
});
