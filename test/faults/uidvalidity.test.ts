import { expect, it } from 'vitest';
import { buildCorpus } from './corpus.js';
import { printReport, usePrivateServices } from './harness.js';

const services = usePrivateServices();

it('UIDVALIDITY changes during a backlog (the folder rebuilt, every message appended again): nothing doubled or misfiled', async () => {
  const run = services.run(buildCorpus('uidv', 60));
  await run.prepare();
  await run.start('poller');
  await run.start('worker');
  await run.finishedAtLeast(Math.floor(run.corpus.mails.length / 3));
  // New UIDVALIDITY: the poller sweeps the whole folder again, and every message is one it may have stored.
  await run.recreateFolder();
  const report = await run.report(await run.drained());
  printReport('UIDVALIDITY change during a backlog', report);
  expect(report).toMatchObject(run.expected());
});
