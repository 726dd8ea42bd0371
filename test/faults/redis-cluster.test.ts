import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { startPrivateCluster } from '../helpers/private-services.js';
import { waitFor } from '../helpers/wait.js';
import { buildCorpus } from './corpus.js';
import { printReport, readyz, usePrivateServices } from './harness.js';

const services = usePrivateServices({ startRedis: startPrivateCluster });

/** Runs `command` on every master of the cluster, each on a connection of its own. */
async function onEveryNode(ports: number[], command: (node: Redis) => Promise<unknown>): Promise<unknown[]> {
  return Promise.all(
    ports.map(async (port) => {
      const node = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
      try {
        return await command(node);
      } finally {
        node.disconnect();
      }
    }),
  );
}

it('Redis Cluster of three masters: poller, worker and web run the whole pipeline, every key of the installation in one slot', async () => {
  const run = services.run(buildCorpus('cluster', 30));
  await run.prepare();
  const poller = await run.start('poller');
  const worker = await run.start('worker');
  const web = await run.start('web');
  const report = await run.report(await run.drained());
  printReport('Redis Cluster (3 masters) backlog', report);
  expect(report).toMatchObject(run.expected());
  // web on the Cluster: a request is counted by the rate limits (401 without a key), and /metrics shows the queues,
  // the policy and the mail series the worker and poller published to Redis.
  // web may still be starting (it is not needed for the backlog to drain): wait until it listens and is ready.
  await waitFor('web ready on the Cluster', async () => (await readyz(web.healthPort)).status === 200, 60_000, 200);
  const webUrl = `http://127.0.0.1:${web.healthPort}`;
  expect((await fetch(`${webUrl}/api/cases`)).status).toBe(401);
  const metrics = await waitFor(
    'the mail series of every process on web /metrics',
    async () => {
      const text = await (await fetch(`${webUrl}/metrics`)).text();
      return /^intake_messages_processed_total\{/m.test(text) ? text : null;
    },
    30_000,
    500,
  );
  expect(metrics).toMatch(/^intake_queue_jobs\{queue="inbound",state="completed"\} [1-9]/m);
  expect(metrics).toContain('intake_redis_maxmemory_policy{policy="noeviction"} 1');
  // BullMQ's keys, the mailbox lease, the shared metrics and the rate limits all carry the hash tag {<prefix>}: one
  // slot, one node.
  const keys = (await onEveryNode(services.redis.ports, (node) => node.keys(`*${run.prefix}*`))) as string[][];
  const nodesWithKeys = keys.filter((k) => k.length > 0);
  expect(nodesWithKeys).toHaveLength(1);
  expect(nodesWithKeys[0]!.every((k) => k.startsWith(`{${run.prefix}}:`))).toBe(true);
  expect(nodesWithKeys[0]!.some((k) => k.includes(':inbound:'))).toBe(true);
  for (const use of [':lease:', ':metrics:', ':rate-limit:'])
    expect(nodesWithKeys[0]!.some((k) => k.includes(use))).toBe(true);
  for (const p of [poller, worker, web]) {
    await waitFor('every process ready', async () => (await readyz(p.healthPort)).status === 200, 30_000, 200);
  }
});

it('Redis Cluster: one master that may evict makes a worker refuse to run, with one line that says why', async () => {
  const run = services.run(buildCorpus('clusterevict', 1));
  await run.prepare({ append: false });
  const [, second] = services.redis.ports;
  await onEveryNode([second!], (node) => node.config('SET', 'maxmemory-policy', 'allkeys-lru'));
  try {
    const p = await run.start('worker');
    const code = await new Promise<number | null>((resolve) => p.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(p.stderr().trim()).toMatch(/^intake worker: Redis maxmemory-policy is allkeys-lru: .*noeviction/);
    expect(p.stderr().trim().split('\n')).toHaveLength(1);
  } finally {
    await onEveryNode([second!], (node) => node.config('SET', 'maxmemory-policy', 'noeviction'));
  }
});
