import { expect, it } from 'vitest';
import { startPrivateSentinelSet } from '../helpers/private-services.js';
import { waitFor } from '../helpers/wait.js';
import { buildCorpus } from './corpus.js';
import { printReport, readyz, usePrivateServices } from './harness.js';

const services = usePrivateServices({ startRedis: startPrivateSentinelSet });

/**
 * One backlog through a failover: at a quarter of it `failover` changes the master (the old one killed, or demoted
 * to a replica while it lives on), and the sentinels name the new one.
 */
async function backlogThroughFailover(scenario: string, tag: string, failover: () => Promise<number>) {
  const run = services.run(buildCorpus(tag, 40));
  await run.prepare();
  const poller = await run.start('poller');
  const worker = await run.start('worker');
  await run.finishedAtLeast(Math.floor(run.corpus.mails.length / 4));
  const old = await failover();
  const failedOverAt = Date.now();
  // The failover falls in the middle of the backlog: work was still queued on the old master.
  const finishedThen = await run.finished();
  expect(finishedThen).toBeLessThan(run.corpus.mails.length);
  const promoted = await waitFor(
    'the sentinels to promote the replica',
    async () => {
      const port = await services.redis.masterPort();
      return port !== old ? port : null;
    },
    60_000,
    200,
  );
  process.stdout.write(
    `${scenario}: at ${finishedThen} of ${run.corpus.mails.length} messages finished; replica (port ${promoted}) promoted ${((Date.now() - failedOverAt) / 1000).toFixed(1)} s later\n`,
  );
  const report = await run.report(await run.drained());
  printReport(scenario, report);
  expect(report).toMatchObject(run.expected());
  for (const p of [poller, worker]) {
    expect(p.child.exitCode, p.stderr()).toBeNull();
    // Each process's Redis connection finds the new master on its own schedule (reconnect backoff): give it time, and
    // say what /readyz last answered if it never gets there.
    let last = '';
    await waitFor(
      () => `every process ready on the new master (last /readyz: ${last})`,
      async () => {
        const r = await readyz(p.healthPort);
        last = `${r.status} ${r.body.slice(0, 500)}`;
        return r.status === 200;
      },
      30_000,
      250,
    );
  }
}

// First the failover that keeps both servers (the old master becomes the replica), then the one that loses one.
it('Redis Sentinel: a failover during a backlog while the old master lives on (demoted, READONLY): every message lands once and where it belongs', async () => {
  await backlogThroughFailover('Redis Sentinel failover (master demoted) during a backlog', 'sentdemote', () =>
    services.redis.failover(),
  );
});

it('Redis Sentinel: the master killed during a backlog, the replica promoted: every message lands once and where it belongs', async () => {
  await backlogThroughFailover('Redis Sentinel failover (master killed) during a backlog', 'sentkill', () =>
    services.redis.killMaster(),
  );
});
