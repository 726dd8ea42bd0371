import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/dev.js';

// `npm install` runs scripts/build-if-stale.mjs (the `prepare` script). It works on a copy of the repository's
// build files in a temp dir, with the real tsc and esbuild, a one-file CLI in place of src/ (so a build takes
// seconds, not the half minute of the whole server) and the real staff inbox sources.
let dir: string;

const CLI = `export async function run(args: string[]): Promise<number> {
  console.log(\`ran \${import.meta.url} \${args.join(' ')}\`);
  return 0;
}
`;

function node(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** `npm install`'s build step, as the `prepare` script runs it. */
const prepare = () => node('scripts/build-if-stale.mjs');
/** `npx intake version`: which file the command runs, the build or the source. */
const intake = () => node('bin/intake.mjs', 'version');

const mtime = (path: string) => statSync(join(dir, path)).mtimeMs;
/** Marks a file as edited now, after the last build. */
const touch = (path: string) => utimesSync(join(dir, path), new Date(), new Date());

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'intake-build-'));
  for (const file of [
    'scripts/build-if-stale.mjs',
    'scripts/build-web.mjs',
    'bin/intake.mjs',
    'tsconfig.json',
    'tsconfig.build.json',
  ])
    cpSync(join(ROOT, file), join(dir, file));
  cpSync(join(ROOT, 'src/web'), join(dir, 'src/web'), { recursive: true });
  mkdirSync(join(dir, 'src/cli'), { recursive: true });
  writeFileSync(join(dir, 'src/cli/index.ts'), CLI);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'intake-build-test', type: 'module' }));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm install builds dist/ only when it is missing or older than its sources', () => {
  it('a fresh clone is built, server and staff inbox, with one line saying why; intake then runs the build', () => {
    const res = prepare();
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout.trim().split('\n')).toEqual([
      'intake: building dist/ (server and staff inbox, about half a minute): dist/src/cli/index.js does not exist',
      expect.stringMatching(/^staff inbox built into dist\/web: app\.js [\d.]+ KiB, styles\.css [\d.]+ KiB$/),
    ]);
    expect(intake().stdout).toBe(`ran ${pathToFileURL(join(dir, 'dist/src/cli/index.js')).href} version\n`);
  });

  it('a second install leaves an up-to-date build alone', () => {
    const before = [mtime('dist/src/cli/index.js'), mtime('dist/web/app.js')];
    const res = prepare();
    expect(res.status).toBe(0);
    expect(res.stdout).toBe(
      'intake: dist/ is up to date with its sources, not rebuilt (npm run build always builds)\n',
    );
    expect([mtime('dist/src/cli/index.js'), mtime('dist/web/app.js')]).toEqual(before);
  });

  it('an edited source is rebuilt; until then intake runs the source, never the stale build', () => {
    touch('src/cli/index.ts');
    expect(intake().stdout).toBe(`ran ${pathToFileURL(join(dir, 'src/cli/index.ts')).href} version\n`);

    const res = prepare();
    expect(res.status).toBe(0);
    expect(res.stdout.split('\n')[0]).toBe(
      'intake: building dist/ (server and staff inbox, about half a minute): src/cli/index.ts is newer than the build',
    );
    expect(intake().stdout).toBe(`ran ${pathToFileURL(join(dir, 'dist/src/cli/index.js')).href} version\n`);
    expect(prepare().stdout).toMatch(/up to date/);
  });

  it('the staff inbox sources, tsconfig.build.json and the web build script count; unit tests do not', () => {
    for (const file of ['src/web/styles.css', 'tsconfig.build.json', 'scripts/build-web.mjs']) {
      touch(file);
      const res = prepare();
      expect(res.status).toBe(0);
      expect(res.stdout.split('\n')[0]).toBe(
        `intake: building dist/ (server and staff inbox, about half a minute): ${file} is newer than the build`,
      );
    }
    writeFileSync(join(dir, 'src/cli/index.spec.ts'), 'export {};\n');
    expect(prepare().stdout).toMatch(/up to date/);
  });

  it('a build with its staff inbox bundle deleted is built again', () => {
    rmSync(join(dir, 'dist/web/app.js'));
    const res = prepare();
    expect(res.stdout.split('\n')[0]).toBe(
      'intake: building dist/ (server and staff inbox, about half a minute): dist/web/app.js does not exist',
    );
    expect(statSync(join(dir, 'dist/web/app.js')).size).toBeGreaterThan(1000);
  });
});
