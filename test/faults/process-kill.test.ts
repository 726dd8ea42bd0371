import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { buildCorpus } from './corpus.js';
import { printReport, readyz, usePrivateServices, type FaultRun, type ProcessHandle } from './harness.js';

const services = usePrivateServices();

it('kill -9 of the worker and the poller during a backlog: the same cases, notes and acknowledgements as without', async () => {
  const run = services.run(buildCorpus('kill', 60));
  await run.prepare();
  const total = run.corpus.mails.length;
  // Two pollers, as for failover: one holds the mailbox's lease, the other stands by.
  const pollers: ProcessHandle[] = [await run.start('poller'), await run.start('poller')];
  let worker: ProcessHandle = await run.start('worker');
  const progress = process.env.TEST_LOG_LEVEL
    ? setInterval(() => void run.state().then((st) => process.stdout.write(`state: ${st}\n`)), 5_000)
    : undefined;
  // Kill one of them each time another sixth of the backlog is finished: the worker, and the poller holding the
  // mailbox, in turn; each is started again at once.
  const takeovers: number[] = [];
  for (let k = 1; k <= 4; k++) {
    await run.finishedAtLeast(Math.floor((total * k) / 6));
    if (k % 2 === 1) {
      await run.kill(worker);
      worker = await run.start('worker');
      continue;
    }
    const holder = await waitFor('a poller to hold the mailbox', () => leaseHolderPid(run), 30_000, 100);
    const killed = pollers.findIndex((p) => p.child.pid === holder);
    if (killed < 0) continue;
    const standby = pollers[1 - killed]!;
    // Standing by means running: a poller started a moment ago may still be booting.
    await waitFor(
      'the other poller to be ready',
      async () => (await readyz(standby.healthPort)).status === 200,
      60_000,
      200,
    );
    const killedPid = pollers[killed]!.child.pid;
    await run.kill(pollers[killed]!);
    const killedAt = Date.now();
    pollers[killed] = await run.start('poller');
    // The killed poller could not release its lease: when it expires, a live poller takes the mailbox over. That is
    // usually the one standing by, but the replacement started just now may win the race, and either is right.
    const live = new Set(pollers.map((p) => p.child.pid));
    await waitFor(
      'a live poller to take the mailbox over',
      async () => {
        const holder = await leaseHolderPid(run);
        return holder !== null && holder !== killedPid && live.has(holder);
      },
      30_000,
      100,
    );
    takeovers.push((Date.now() - killedAt) / 1000);
    if (process.env.TEST_LOG_LEVEL) process.stdout.write(`takeover after ${takeovers.at(-1)} s\n`);
  }
  const report = await run.report(await run.drained());
  clearInterval(progress);
  printReport('kill -9 of worker ×2 and poller ×2 during a backlog', report);
  expect(report).toMatchObject(run.expected());
  // A dead poller's mailbox is taken over within 15 s (LEASE_TTL_MS 10 s, retried every third of it).
  expect(takeovers.length).toBeGreaterThan(0);
  expect(Math.max(...takeovers)).toBeLessThan(15);
  process.stdout.write(`mailbox taken over ${takeovers.map((t) => `${t.toFixed(1)} s`).join(', ')} after the kill\n`);
});

/** The pid in the mailbox lease's token (`host:pid:random`, src/imap/lease.ts). */
async function leaseHolderPid(r: FaultRun): Promise<number | null> {
  const client = new Redis(r.redis.url);
  try {
    const keys = await client.keys(`${r.prefix}*lease*`);
    const token = keys.length ? await client.get(keys[0]!) : null;
    return token ? Number(token.split(':')[1]) : null;
  } finally {
    client.disconnect();
  }
}
