import { beforeAll, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { buildCorpus } from './corpus.js';
import { readyz, usePrivateServices, type FaultRun } from './harness.js';

const services = usePrivateServices({ redis: { policy: 'allkeys-lru' } });
let run: FaultRun;

beforeAll(async () => {
  run = services.run(buildCorpus('evict', 1));
  await run.prepare({ append: false });
});

it('a Redis that may evict: the worker, the poller and the web process refuse to run, with one line that says why', async () => {
  for (const name of ['worker', 'poller', 'web'] as const) {
    const p = await run.start(name);
    const code = await new Promise<number | null>((resolve) => p.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(p.stderr().trim()).toMatch(
      new RegExp(`^intake ${name}: Redis maxmemory-policy is allkeys-lru: .*noeviction`),
    );
    expect(p.stderr().trim().split('\n')).toHaveLength(1);
  }
});

it('with ALLOW_REDIS_EVICTION=1 the worker and the web process run, not ready: /readyz says why, /metrics shows the policy', async () => {
  for (const name of ['worker', 'web'] as const) {
    const p = await run.start(name, { ALLOW_REDIS_EVICTION: '1' });
    const answer = await waitFor(
      `the ${name} process to answer /readyz`,
      async () => {
        const r = await readyz(p.healthPort);
        return r.status && r.body.includes('maxmemory-policy') ? r : null;
      },
      60_000,
      200,
    );
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body).checks.redisPolicy).toMatchObject({
      ok: false,
      error: expect.stringContaining('Redis maxmemory-policy is allkeys-lru'),
    });
    const metrics = await (await fetch(`http://127.0.0.1:${p.healthPort}/metrics`)).text();
    expect(metrics).toContain('intake_redis_maxmemory_policy{policy="allkeys-lru"} 1');
    expect(p.child.exitCode).toBeNull();
  }
});
