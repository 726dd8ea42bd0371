import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * `npx tsx bench/profile-summary.ts [--top 40] FILE.cpuprofile...`: where a V8 CPU profile (node --cpu-prof, or
 * the --profile option of bench/api.ts, bench/ingest.ts and bench/inbound-worker.ts) spent its time. Prints the
 * functions with the most self time, then the same grouped by package (node_modules/<name>, node internals, our
 * own src/), as shares of the sampled time outside the idle loop.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '40' } },
  allowPositionals: true,
});
if (positionals.length === 0) {
  console.error('usage: npx tsx bench/profile-summary.ts [--top N] FILE.cpuprofile...');
  process.exit(2);
}

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)']);
const where = (url: string): string => {
  if (!url) return '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/((?:src|workers|bench)\/.*)$/.exec(url);
  return own ? own[1]!.split('/').slice(0, 2).join('/') : url;
};

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  let busy = 0;
  let gc = 0;
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(garbage collector)') gc += ms;
    if (IDLE.has(functionName) && functionName !== '(garbage collector)') continue;
    busy += ms;
    const key = `${functionName || '(anonymous)'} ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const group = functionName === '(garbage collector)' ? '(garbage collector)' : where(url);
    pkg.set(group, (pkg.get(group) ?? 0) + ms);
  }
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1).padStart(5)} %`;
  console.log(`\n${file}: ${busy.toFixed(0)} ms busy (garbage collector ${pct(gc)})`);
  console.log('-- self time by function');
  for (const [k, ms] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
    console.log(`${pct(ms)}  ${k}`);
  console.log('-- self time by package');
  for (const [k, ms] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(ms)}  ${k}`);
}
