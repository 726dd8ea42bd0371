import type { Redis } from 'ioredis';
import type { CaseHooks } from './cases/case-hooks.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { Logger } from './logger.js';
import type { Queues } from './queue/queues.js';

/** What the web process hands its routes: the dependencies, created once at start-up. */
export interface AppContext {
  config: Config;
  db: Db;
  logger: Logger;
  /** Producer-side Redis (fails fast); absent only in tests that do not need queues. */
  redis?: Redis;
  queues?: Queues;
  /** Side effects of case changes made through the API (outbound mail: noteEmailHooks). */
  caseHooks: CaseHooks;
}
