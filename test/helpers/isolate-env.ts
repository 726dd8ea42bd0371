import { readFileSync } from 'node:fs';

/**
 * The variables intake reads: every name `.env.example` lists (set or commented out), and any INTAKE_*.
 * The tests never take these from the developer's environment; they say what they need through TEST_*.
 */
export function intakeVariables(envExample: string): Set<string> {
  const names = new Set<string>();
  for (const line of envExample.split('\n')) {
    const m = /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line.trim());
    if (m) names.add(m[1]!);
  }
  return names;
}

/**
 * A copy of `env` without intake's variables, and with INTAKE_ENV_FILE empty so that no process a test starts
 * reads the repository's `.env`. TEST_* variables (and everything else: PATH, HOME, ...) are kept.
 */
export function isolatedTestEnv(
  env: NodeJS.ProcessEnv,
  envExample = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'),
): NodeJS.ProcessEnv {
  const drop = intakeVariables(envExample);
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (drop.has(k) || (k.startsWith('INTAKE_') && k !== 'INTAKE_ENV_FILE')) continue;
    out[k] = v;
  }
  out.INTAKE_ENV_FILE = '';
  return out;
}

/** Applies isolatedTestEnv to this process (vitest.config.ts: before any test process is forked). */
export function isolateProcessEnv(): void {
  const clean = isolatedTestEnv(process.env);
  for (const k of Object.keys(process.env)) if (!(k in clean)) delete process.env[k];
  Object.assign(process.env, clean);
}
