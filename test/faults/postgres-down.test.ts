import { expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { buildCorpus } from './corpus.js';
import { printReport, readyz, usePrivateServices } from './harness.js';

/** How long PostgreSQL stays down. Nothing in intake counts the outage's length: any length behaves the same. */
const OUTAGE_MS = 20_000;

const services = usePrivateServices();

it('PostgreSQL down during a backlog: processes live through it, one started meanwhile starts not ready, nothing misfiled', async () => {
  const run = services.run(buildCorpus('pgdown', 60));
  await run.prepare();
  const poller = await run.start('poller');
  const worker = await run.start('worker');
  await run.finishedAtLeast(Math.floor(run.corpus.mails.length / 4));

  await services.pg.crash();
  const downAt = Date.now();
  // Both report not ready, and stay alive.
  await waitFor('the worker to report not ready', async () => (await readyz(worker.healthPort)).status === 503);
  await waitFor('the poller to report not ready', async () => (await readyz(poller.healthPort)).status === 503);
  // A worker started during the outage starts, not ready, and waits for the database.
  const late = await run.start('worker');
  const lateReady = await waitFor(
    'the late worker to answer /readyz',
    async () => {
      const r = await readyz(late.healthPort);
      return r.status ? r : null;
    },
    60_000,
    200,
  );
  expect(lateReady.status).toBe(503);
  expect(lateReady.body).toMatch(/PostgreSQL|database/);
  // The outage lasts OUTAGE_MS: checked every second that no process gave up meanwhile.
  await waitFor(
    'the outage to end',
    async () => {
      for (const p of [poller, worker, late]) expect(p.child.exitCode, p.stderr()).toBeNull();
      return Date.now() - downAt >= OUTAGE_MS;
    },
    OUTAGE_MS + 10_000,
    1_000,
  );
  await services.pg.start();

  const report = await run.report(await run.drained());
  printReport(`PostgreSQL down ${OUTAGE_MS / 1000} s during a backlog`, report);
  expect(report).toMatchObject(run.expected());
  for (const p of [poller, worker, late]) {
    expect(p.child.exitCode).toBeNull();
    await waitFor('every process ready again', async () => (await readyz(p.healthPort)).status === 200, 30_000, 200);
  }
});
