// Builds the staff inbox (src/web) into dist/web with esbuild: one JavaScript bundle, one stylesheet, the page.
// Run by `npm install` (prepare), `npm run build`, and by the web process when the bundle is missing or, outside
// production, older than its sources (src/http/web-app.ts). Files are written beside and renamed, so several
// processes building at once never serve half a file.
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_SOURCE_DIR = join(root, 'src/web');
export const WEB_OUT_DIR = join(root, 'dist/web');

async function newestSource(dir) {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const time = entry.isDirectory() ? await newestSource(path) : (await stat(path)).mtimeMs;
    newest = Math.max(newest, time);
  }
  return newest;
}

/** Whether dist/web lacks the bundle or is older than a file of src/web (false when there are no sources). */
export async function webBundleStale() {
  let built;
  try {
    built = (await stat(join(WEB_OUT_DIR, 'app.js'))).mtimeMs;
  } catch {
    return true;
  }
  try {
    return (await newestSource(WEB_SOURCE_DIR)) > built;
  } catch {
    return false;
  }
}

async function writeAtomic(path, contents) {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, contents);
  await rename(tmp, path);
}

/** Builds the bundle; `minify` unless told otherwise. Returns the output files' sizes in bytes. */
export async function buildWeb({ minify = true } = {}) {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(WEB_SOURCE_DIR, 'main.tsx'), join(WEB_SOURCE_DIR, 'styles.css')],
    bundle: true,
    write: false,
    outdir: WEB_OUT_DIR,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'silent',
    entryNames: '[name]',
    tsconfig: join(WEB_SOURCE_DIR, 'tsconfig.json'),
  });
  await mkdir(WEB_OUT_DIR, { recursive: true });
  const sizes = {};
  for (const file of result.outputFiles) {
    const name = file.path.slice(WEB_OUT_DIR.length + 1).replace(/^main\./, 'app.');
    const contents = name.endsWith('.js')
      ? Buffer.from(file.text.replace('sourceMappingURL=main.js.map', 'sourceMappingURL=app.js.map'))
      : file.contents;
    sizes[name] = contents.length;
    await writeAtomic(join(WEB_OUT_DIR, name), contents);
  }
  const page = await readFile(join(WEB_SOURCE_DIR, 'index.html'));
  await writeAtomic(join(WEB_OUT_DIR, 'index.html'), page);
  // Last, as its time is what webBundleStale compares.
  const js = await readFile(join(WEB_OUT_DIR, 'app.js'));
  await writeAtomic(join(WEB_OUT_DIR, 'app.js'), js);
  return sizes;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const sizes = await buildWeb();
    console.log(
      `staff inbox built into dist/web: ${Object.entries(sizes)
        .filter(([n]) => !n.endsWith('.map'))
        .map(([n, s]) => `${n} ${(s / 1024).toFixed(1)} KiB`)
        .join(', ')}`,
    );
  } catch (err) {
    console.error(`staff inbox build failed: ${err.message}`);
    process.exit(1);
  }
}
