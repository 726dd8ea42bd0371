import { spawnSync } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/dev.js';
import { freePort } from './helpers/redis-server.js';

// `npm test` on a machine where a service is missing: one line each, then it stops; unit tests need none.
describe('npm test without its services', () => {
  it('prints one line per unreachable service, with what to do, and stops with exit 1', async () => {
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    // 127.0.0.2 is not this machine's default address: nothing is installed or started for it.
    const res = spawnSync(process.execPath, ['scripts/test-services.mjs'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEST_DATABASE_URL: `postgres://postgres:hunter2@127.0.0.2:${pgPort}/postgres`,
        TEST_REDIS_URL: `redis://127.0.0.2:${redisPort}`,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).toBe(1);
    expect(res.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^npm test: PostgreSQL is not reachable at postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.2:${pgPort}/postgres .*set TEST_DATABASE_URL$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(`^npm test: Redis is not reachable at redis://127\\.0\\.0\\.2:${redisPort} .*set TEST_REDIS_URL$`),
      ),
      'npm test: stopped before the integration tests; the unit tests need no service: npm run test:unit',
    ]);
    expect(res.stdout + res.stderr).not.toContain('hunter2');
    expect(res.stderr).toBe('');
  });

  it('the browser tests stop with one line when the Chromium they drive is missing', () => {
    const res = spawnSync(process.execPath, ['scripts/ensure-chromium.mjs'], {
      cwd: ROOT,
      env: { ...process.env, CHROMIUM_BIN: '/nonexistent/chromium' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toEqual([
      'ensure-chromium: CHROMIUM_BIN=/nonexistent/chromium does not exist',
    ]);
  });

  it('the unit tests run with no service reachable', () => {
    const res = spawnSync(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--project', 'unit', 'src/config.spec.ts'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          TEST_DATABASE_URL: 'postgres://postgres@127.0.0.2:1/postgres',
          TEST_REDIS_URL: 'redis://127.0.0.2:1',
        },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(stripVTControlCharacters(res.stdout)).toMatch(/Tests\s+\d+ passed/);
  });
});
