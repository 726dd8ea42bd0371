import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Db } from '../db/database.js';
import { findSession, type SessionPolicy } from '../auth/sessions.js';
import { SESSION_COOKIE } from './auth.js';

/**
 * The staff inbox's page: scripts, styles, frames and connections from this site only, nothing inline. Frames are
 * this site's sanitised message views (/api/messages/{id}/html), which carry a sandboxing CSP of their own.
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The files of dist/web the app serves, with their content types. */
const ASSET = /^[a-z0-9-]+\.(js|css|map)$/;
const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

function repoRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

interface WebBuild {
  WEB_OUT_DIR: string;
  webBundleStale(): Promise<boolean>;
  buildWeb(options?: { minify?: boolean }): Promise<Record<string, number>>;
}

/**
 * Makes sure dist/web holds the bundle: built when missing, and outside production also when a source in src/web
 * is newer (a developer never has to remember `npm run build`). Answers the directory to serve.
 */
export async function ensureWebBundle(logger: FastifyBaseLogger, production: boolean): Promise<string> {
  const root = repoRoot();
  const script = join(root, 'scripts/build-web.mjs');
  const fallback = join(root, 'dist/web');
  if (!existsSync(script)) return fallback;
  const build = (await import(pathToFileURL(script).href)) as WebBuild;
  const missing = !existsSync(join(build.WEB_OUT_DIR, 'app.js'));
  if (missing || (!production && (await build.webBundleStale()))) {
    try {
      const started = Date.now();
      await build.buildWeb();
      logger.info({ ms: Date.now() - started }, 'staff inbox built into dist/web');
    } catch (err) {
      logger.error({ err }, 'the staff inbox could not be built: run npm run build');
    }
  }
  return build.WEB_OUT_DIR;
}

/**
 * The staff inbox at `/` (signed-out people go to /login first) and its files under /app/. The app is a client of
 * the API like any other; these routes only hand out the page and its static files.
 */
export async function registerWebApp(
  app: FastifyInstance,
  deps: { db: Db; sessions: SessionPolicy; production: boolean; logger: FastifyBaseLogger },
): Promise<void> {
  const dir = await ensureWebBundle(deps.logger, deps.production);
  // Files are read once per process in production; in development on every request, so a rebuild shows at once.
  const cache = new Map<string, { body: Buffer; etag: string }>();
  async function file(name: string) {
    const hit = cache.get(name);
    if (hit) return hit;
    const body = await readFile(join(dir, name));
    const entry = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    if (deps.production) cache.set(name, entry);
    return entry;
  }
  const security = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  };

  app.get('/', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await findSession(deps.db, token, deps.sessions) : undefined;
    if (!session) return reply.redirect('/login?next=%2F', 302);
    let page;
    try {
      page = await file('index.html');
    } catch {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The staff inbox is not built: run npm run build');
    }
    return reply
      .headers({
        ...security,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': WEB_APP_CSP,
        'cache-control': 'no-store',
        'x-frame-options': 'DENY',
      })
      .send(page.body);
  });

  app.get<{ Params: { file: string } }>(
    '/app/:file',
    { config: { public: true }, schema: { hide: true } },
    async (request, reply) => {
      const name = request.params.file;
      const ext = ASSET.exec(name)?.[1];
      let entry;
      try {
        if (!ext) throw new Error('not an asset');
        entry = await file(name);
      } catch {
        return reply.status(404).type('text/plain; charset=utf-8').send('Not found');
      }
      if (request.headers['if-none-match'] === entry.etag) return reply.status(304).send();
      return reply
        .headers({
          ...security,
          'content-type': CONTENT_TYPES[ext],
          etag: entry.etag,
          // Names do not change with the contents: the browser asks again (cheap with the ETag) on every load.
          'cache-control': 'no-cache',
        })
        .send(entry.body);
    },
  );
}
