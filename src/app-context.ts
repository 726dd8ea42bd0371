import type { CaseHooks } from './cases/case-hooks.js';
import { createApiKeyCache, type ApiKeyCache } from './auth/api-keys.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { Logger } from './logger.js';
import type { HealthCheck } from './ops/health.js';
import type { Queues } from './queue/queues.js';
import { createCaseSettingsCache, type CaseSettingsCache } from './settings/settings-cache.js';
import type { RedisClient } from './queue/redis-target.js';

/** What the web process hands its routes: the dependencies, created once at start-up. */
export interface AppContext {
  config: Config;
  db: Db;
  logger: Logger;
  /** Producer-side Redis (fails fast); absent only in tests that do not need queues. */
  redis?: RedisClient;
  queues?: Queues;
  /** Side effects of case changes made through the API (outbound mail: noteEmailHooks). */
  caseHooks: CaseHooks;
  /** Readiness checks of the process besides database and Redis (the web process: Redis's eviction policy). */
  readinessChecks?: Record<string, HealthCheck>;
  /** This process's copy of the case settings (settings-cache.ts): GET, search and create read through it. */
  caseSettings: CaseSettingsCache;
  /** This process's verified API keys (api-keys.ts): every /api request checks its key through it. */
  apiKeys: ApiKeyCache;
}

/** An app context over these dependencies, with caches of its own unless given (tests pass ones with a fake clock). */
export function createAppContext(
  deps: Omit<AppContext, 'caseSettings' | 'apiKeys'> & Partial<Pick<AppContext, 'caseSettings' | 'apiKeys'>>,
): AppContext {
  return {
    ...deps,
    caseSettings: deps.caseSettings ?? createCaseSettingsCache(),
    apiKeys: deps.apiKeys ?? createApiKeyCache(),
  };
}
