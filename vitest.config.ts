import { configDefaults, defineConfig } from 'vitest/config';
import { isolateProcessEnv } from './test/helpers/isolate-env.js';

// Tests take nothing from the developer's `.env` or intake's variables in the environment (a mailbox there
// would reach the processes they start); they read only the TEST_* variables test/helpers/env.ts documents.
isolateProcessEnv();

// Unit tests sit beside the code (src/**/*.spec.ts, bench/**/*.spec.ts) and need no services.
// Integration tests live in test/ and talk to real PostgreSQL, Redis, IMAP and SMTP;
// each file makes its own database, queue prefix and mailbox (test/helpers/).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.spec.ts', 'test/helpers/**/*.spec.ts', 'bench/**/*.spec.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/faults/**', 'test/browser/**'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        // Pages as a browser shows them: a real Chromium (installed by the setup when missing and root).
        test: {
          name: 'browser',
          include: ['test/browser/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts', 'test/browser/setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        // Fault injection (test/faults/): real worker and poller processes against a PostgreSQL and a Redis of the
        // test's own (test/helpers/private-services.ts) that are killed on purpose. One file at a time: each one
        // runs a backlog through several processes, and they would only slow each other down; after the other
        // projects (groupOrder), so their drain times are not the machine's load.
        test: {
          name: 'faults',
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
