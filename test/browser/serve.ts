import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { inject } from 'vitest';

/** Serves the app on a free 127.0.0.1 port and starts the Chromium of this run (setup.ts found it). */
export async function serveAndLaunch(app: FastifyInstance): Promise<{ origin: string; browser: Browser }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return { origin, browser: await chromium.launch({ executablePath: inject('chromium') }) };
}
