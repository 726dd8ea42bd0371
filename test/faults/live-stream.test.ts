import { expect, it } from 'vitest';
import { buildCorpus } from './corpus.js';
import { printReport, usePrivateServices, type ProcessHandle } from './harness.js';

/** Arrival rate of the stream, as the mail of a busy help desk's peak hour. */
const PER_SECOND = 20;

const services = usePrivateServices();

it('a live stream of 20 msg/s through kill -9 of the worker and the poller and an empty Redis: the same cases, notes and acknowledgements as without', async () => {
  // ~490 messages: a stream of ~25 s, long enough for every fault to land in its middle.
  const run = services.run(buildCorpus('stream', 200));
  await run.prepare({ append: false });
  const total = run.corpus.mails.length;
  let poller: ProcessHandle = await run.start('poller');
  let worker: ProcessHandle = await run.start('worker');
  const streamStart = Date.now();
  let streamSeconds = 0;
  const streaming = run
    .append({ perSecond: PER_SECOND })
    .then(() => (streamSeconds = (Date.now() - streamStart) / 1000));
  // The faults fall at set points of the stream (~25 s long), each while mail keeps arriving.
  const faults: string[] = [];
  let duringStream = 0;
  const at = async (second: number, fault: string, inject: () => Promise<void>) => {
    const due = streamStart + second * 1000;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    if (streamSeconds === 0) duringStream++;
    await inject();
    faults.push(`${fault} at ${((Date.now() - streamStart) / 1000).toFixed(1)} s`);
  };
  await at(4, 'worker kill -9', async () => {
    await run.kill(worker);
    worker = await run.start('worker');
  });
  await at(9, 'poller kill -9', async () => {
    await run.kill(poller);
    poller = await run.start('poller');
  });
  await at(14, 'Redis restarted empty', async () => {
    await services.redis.kill();
    await services.redis.start();
  });
  await at(19, 'worker and poller kill -9', async () => {
    await Promise.all([run.kill(worker), run.kill(poller)]);
    [worker, poller] = await Promise.all([run.start('worker'), run.start('poller')]);
  });
  await streaming;
  const report = await run.report(await run.drained());
  printReport(`live stream of ${PER_SECOND} msg/s with kills and an empty Redis`, report);
  process.stdout.write(`stream of ${total} messages took ${streamSeconds.toFixed(1)} s; ${faults.join(', ')}\n`);
  expect(duringStream, 'faults that fell while the stream was arriving').toBe(4);
  expect(report).toMatchObject(run.expected());
  // Jobs lost with Redis are queued again within 2 minutes (STALE_QUEUED_MS 45 s, swept every 30 s).
  expect(report.drainSeconds).toBeLessThan(streamSeconds + 150);
});
