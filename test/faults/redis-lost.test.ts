import { expect, it } from 'vitest';
import { buildCorpus } from './corpus.js';
import { printReport, usePrivateServices } from './harness.js';

const services = usePrivateServices();

/**
 * Redis restarted empty (no persistence) in the middle of a backlog: every queued job, lease and delayed order wait
 * is gone. The rows are the record: the stale sweep finds the rows whose job is missing and queues them again, and
 * replies wait for their parents until then.
 */
async function redisLostDuringBacklog(scenario: string, options: { killWorker: boolean }) {
  const run = services.run(buildCorpus(options.killWorker ? 'lostkill' : 'lost', 60));
  const { redis } = services;
  await run.prepare();
  await run.start('poller');
  const worker = await run.start('worker');
  await run.finishedAtLeast(Math.floor(run.corpus.mails.length / 4));
  await redis.kill();
  if (options.killWorker) await run.kill(worker);
  await redis.start();
  if (options.killWorker) await run.start('worker');
  const report = await run.report(await run.drained());
  printReport(scenario, report);
  expect(report).toMatchObject(run.expected());
  // Jobs lost with Redis are queued again within 2 minutes (STALE_QUEUED_MS 45 s, swept every 30 s).
  expect(report.drainSeconds).toBeLessThan(150);
  await run.close();
}

it('Redis restarted empty during a backlog: the same cases, notes and acknowledgements as without', async () => {
  await redisLostDuringBacklog('Redis restarted empty during a backlog', { killWorker: false });
});

it('Redis restarted empty and the worker killed at the same time: the same cases, notes and acknowledgements', async () => {
  await redisLostDuringBacklog('Redis restarted empty + worker kill -9', { killWorker: true });
});
