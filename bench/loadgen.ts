import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

/** One request of a scenario; a scenario is many of them, drawn at random per request. */
export interface SampleRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  headers: Record<string, string>;
  /** Requests per second overall (open model); without it every connection sends as fast as answered. */
  rate?: number;
}

export interface LoadResult {
  p50: number;
  p99: number;
  rps: number;
  requests: number;
  errors: number;
  non2xx: number;
}

export type LoadGenerator = 'wrk' | 'autocannon';

/** Requests drawn per scenario: enough variety for the caches and plans, few enough to pass as a file. */
export const SAMPLES_PER_SCENARIO = 2_000;

const hasCommand = (name: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * The load generator to use: wrk (C, event-driven) when it is installed or can be installed from Debian's
 * packages (as root), else autocannon. On a 2-core machine the generator shares the cores with the server
 * and PostgreSQL, so the cheaper it is the more the figures measure intake: back to back, the same server
 * answered 9,100 GET/s under wrk and 6,800 under autocannon (docs/search-and-bench.md).
 */
export function chooseLoadGenerator(wanted: string | undefined, log: (line: string) => void): LoadGenerator {
  if (wanted === 'autocannon') return 'autocannon';
  if (wanted && wanted !== 'wrk') throw new Error(`--loadgen must be wrk or autocannon, not "${wanted}"`);
  if (hasCommand('wrk')) return 'wrk';
  if (process.getuid?.() === 0 && hasCommand('apt-get')) {
    log('wrk is not installed: installing it from Debian packages (apt-get install -y wrk) ...');
    try {
      execFileSync(
        'sh',
        [
          '-c',
          'apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null 2>&1)',
        ],
        { stdio: 'ignore' },
      );
      if (hasCommand('wrk')) return 'wrk';
    } catch {
      // Falls through to the message below.
    }
  }
  if (wanted === 'wrk')
    throw new Error(
      'wrk is not installed and could not be installed: apt-get install wrk, or pass --loadgen autocannon',
    );
  log(
    'wrk is not available (apt-get install wrk): using autocannon, which takes much of the CPU it measures on a small machine',
  );
  return 'autocannon';
}

const luaString = (s: string): string => JSON.stringify(s); // JSON string escapes are valid Lua escapes for this ASCII data.

/** A wrk script that sends the samples in random order and prints the figures as one JSON line. */
function wrkScript(samples: readonly SampleRequest[], headers: Record<string, string>): string {
  const rows = samples.map(
    (s) => `{${luaString(s.method)},${luaString(s.path)},${s.body === undefined ? 'nil' : luaString(s.body)}}`,
  );
  return `
local samples = {${rows.join(',\n')}}
${Object.entries(headers)
  .map(([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}`)
  .join('\n')}
math.randomseed(os.time())
request = function()
  local s = samples[math.random(#samples)]
  return wrk.format(s[1], s[2], nil, s[3])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"p50":%f,"p99":%f,"requests":%d,"durationUs":%d,"errors":%d,"non2xx":%d}\\n',
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;
}

async function runWrk(samples: readonly SampleRequest[], o: LoadOptions): Promise<LoadResult> {
  if (o.rate) throw new Error('--rate needs autocannon (--loadgen autocannon): wrk only runs the closed model');
  const dir = mkdtempSync(join(tmpdir(), 'intake-wrk-'));
  try {
    const script = join(dir, 'scenario.lua');
    writeFileSync(script, wrkScript(samples, o.headers));
    // One thread: it drives 50 connections at tens of thousands of requests/s, and leaves the second core to the server.
    const { stdout } = await promisify(execFile)('wrk', [
      '-t1',
      `-c${o.connections}`,
      `-d${o.durationSeconds}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      o.url,
    ]);
    const line = stdout.split('\n').find((l) => l.startsWith('WRK_RESULT '));
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    const r = JSON.parse(line.slice('WRK_RESULT '.length)) as {
      p50: number;
      p99: number;
      requests: number;
      durationUs: number;
      errors: number;
      non2xx: number;
    };
    return {
      p50: r.p50,
      p99: r.p99,
      rps: r.requests / (r.durationUs / 1e6),
      requests: r.requests,
      errors: r.errors,
      non2xx: r.non2xx,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runAutocannon(samples: readonly SampleRequest[], o: LoadOptions): Promise<LoadResult> {
  const pick = () => samples[Math.floor(Math.random() * samples.length)]!;
  const r = await autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.durationSeconds,
    ...(o.rate ? { overallRate: o.rate } : {}),
    headers: o.headers,
    requests: [{ setupRequest: (req) => ({ ...req, ...pick() }) }],
  });
  return {
    p50: r.latency.p50,
    p99: r.latency.p99,
    rps: r.requests.average,
    requests: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

/** Sends the scenario's samples with the chosen generator for `durationSeconds`. */
export function runLoad(
  generator: LoadGenerator,
  samples: readonly SampleRequest[],
  options: LoadOptions,
): Promise<LoadResult> {
  return generator === 'wrk' ? runWrk(samples, options) : runAutocannon(samples, options);
}
