import { defineConfig } from 'vitest/config';
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
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
    ],
  },
});
