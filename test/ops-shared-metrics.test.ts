import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { metrics } from '../src/ops/metrics.js';
import { readSharedSamples, renderSharedSeries, startMetricsPublisher } from '../src/ops/shared-metrics.js';
import { createRedis } from '../src/queue/queues.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { TEST_REDIS_URL } from './helpers/env.js';
import { deleteTestKeys, startThrowawayRedis } from './helpers/redis-server.js';
import { waitFor } from './helpers/wait.js';

// The mail series are counted by worker and poller; web's /metrics shows their totals from Redis.
const prefix = `test-opsshared-${randomBytes(4).toString('hex')}`;
const logger = createLogger('silent');
let redis: Redis;

/** One process's metrics as it starts: fresh counters, like a worker or poller after (re)start. */
function processMetrics() {
  const registry = new Registry();
  return {
    registry,
    cases: new Counter({
      name: 'intake_cases_created_total',
      help: 'Cases created, by source',
      labelNames: ['source'],
      registers: [registry],
    }),
    reopens: new Counter({ name: 'intake_case_reopens_total', help: 'Reopens', registers: [registry] }),
    latency: new Histogram({
      name: 'intake_ingest_latency_seconds',
      help: 'Latency',
      buckets: [0.5, 2],
      registers: [registry],
    }),
    mailboxUp: new Gauge({
      name: 'intake_mailbox_connected',
      help: 'Connected',
      labelNames: ['mailbox'],
      registers: [registry],
    }),
  };
}

const scrape = async (definitions: Registry, p = prefix) =>
  renderSharedSeries(definitions, await readSharedSamples(redis, p));

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  redis?.disconnect();
  await deleteTestKeys(prefix);
});

describe('shared mail series', () => {
  it('counters keep growing across a restart of the process that counts them', async () => {
    const p = `${prefix}-restart`;
    const first = processMetrics();
    const publisher = startMetricsPublisher({ redis, prefix: p, logger, registry: first.registry });
    first.cases.inc({ source: 'Email' }, 3);
    first.latency.observe(0.1);
    first.latency.observe(1);
    await publisher.publish();
    // Publishing again adds only what is new.
    first.cases.inc({ source: 'Email' });
    await publisher.publish();
    await publisher.publish();
    await publisher.stop();
    expect(await scrape(first.registry, p)).toContain('intake_cases_created_total{source="Email"} 4\n');

    // The restarted process counts from zero; the shared total does not go back.
    const second = processMetrics();
    const restarted = startMetricsPublisher({ redis, prefix: p, logger, registry: second.registry });
    second.cases.inc({ source: 'Email' }, 2);
    second.latency.observe(3);
    await restarted.stop();
    const text = await scrape(second.registry, p);
    expect(text).toContain('# TYPE intake_cases_created_total counter\nintake_cases_created_total{source="Email"} 6\n');
    // An unlabelled counter nobody incremented is shown as 0, as Prometheus expects of a known counter.
    expect(text).toContain('# TYPE intake_case_reopens_total counter\nintake_case_reopens_total 0\n');
    expect(text).toContain(
      [
        '# TYPE intake_ingest_latency_seconds histogram',
        'intake_ingest_latency_seconds_bucket{le="0.5"} 1',
        'intake_ingest_latency_seconds_bucket{le="2"} 2',
        'intake_ingest_latency_seconds_bucket{le="+Inf"} 3',
        'intake_ingest_latency_seconds_sum 4.1',
        'intake_ingest_latency_seconds_count 3',
      ].join('\n'),
    );
    await deleteTestKeys(p);
  });

  it('a Redis outage delays the counts and never adds them twice', async () => {
    const server = await startThrowawayRedis();
    // The worker's kind of connection: commands wait through an outage and run when Redis is back.
    const connection = createRedis(server.url, 'worker');
    try {
      const worker = processMetrics();
      const publisher = startMetricsPublisher({ redis: connection, prefix, logger, registry: worker.registry });
      worker.cases.inc({ source: 'Email' }, 2);
      await publisher.publish();
      await server.kill();
      worker.cases.inc({ source: 'Email' }, 3);
      // Each of these gives up waiting after 2 s while the first one's command is still queued.
      await publisher.publish();
      await publisher.publish();
      await server.restart();
      const reader = new Redis(server.url);
      try {
        const total = async () => {
          const text = renderSharedSeries(worker.registry, await readSharedSamples(reader, prefix));
          return /intake_cases_created_total\{source="Email"\} (\d+)/.exec(text)?.[1];
        };
        // Redis restarted empty (no persistence): the 2 published before are gone; the 3 queued arrive, once.
        let last: string | undefined;
        await waitFor(
          () => `the queued publish to arrive (total ${last})`,
          async () => (last = await total()) === '3',
          15_000,
          100,
        );
        await publisher.publish();
        await publisher.stop();
        expect(await total()).toBe('3');
      } finally {
        reader.disconnect();
      }
    } finally {
      connection.disconnect();
      await server.kill();
    }
  });

  it('a gauge shows the highest value of the live processes and goes when its process stops', async () => {
    const p = `${prefix}-gauge`;
    const holder = processMetrics();
    const standby = processMetrics();
    holder.mailboxUp.set({ mailbox: 'support@example.com' }, 1);
    standby.mailboxUp.set({ mailbox: 'support@example.com' }, 0);
    const a = startMetricsPublisher({ redis, prefix: p, logger, registry: holder.registry });
    const b = startMetricsPublisher({ redis, prefix: p, logger, registry: standby.registry });
    await Promise.all([a.publish(), b.publish()]);
    expect(await scrape(holder.registry, p)).toContain('intake_mailbox_connected{mailbox="support@example.com"} 1\n');
    await a.stop();
    expect(await scrape(holder.registry, p)).toContain('intake_mailbox_connected{mailbox="support@example.com"} 0\n');
    await b.stop();
    expect(await scrape(holder.registry, p)).not.toContain('intake_mailbox_connected{');
    await deleteTestKeys(p);
  });

  it("web's /metrics shows the totals other processes published, not its own zeros", async () => {
    let t: TestApp | undefined;
    try {
      t = await createTestApp('opsshared', { QUEUE_PREFIX: prefix }, { redis });
      const worker = processMetrics();
      const published = startMetricsPublisher({ redis, prefix, logger, registry: worker.registry });
      worker.cases.inc({ source: 'Email' }, 7);
      await published.stop();
      const res = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('intake_cases_created_total{source="Email"} 7\n');
      // Each family once: web's own (zero) copy of a shared series is left out.
      expect(res.body.match(/^# TYPE intake_cases_created_total /gm)).toHaveLength(1);
      // The process's own series are still there.
      expect(res.body).toContain('# TYPE intake_http_request_duration_seconds histogram');
      expect(res.body).toContain('# TYPE intake_process_process_cpu_user_seconds_total counter');
      // The definitions are the real ones (help text from src/ops/metrics.ts).
      expect(res.body).toContain(`# HELP intake_cases_created_total ${'Cases created, by source'}`);
      expect(metrics.casesCreated).toBeDefined();
    } finally {
      await t?.close();
    }
  });
});
