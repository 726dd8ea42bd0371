#!/usr/bin/env node
// Finds the Chromium the browser tests drive (test/browser/, through playwright-core) and prints its path.
// As root where apt-get exists it installs Debian's `chromium` package when none is found (`--find-only`:
// never install); elsewhere it fails with one line that says what to install. CHROMIUM_BIN overrides the search.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { aptInstall, canInstall, INSTALL_HINTS } from './system-packages.mjs';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
];

/** The path of a Chromium (or Chrome) binary here, or null. */
export function findChromium() {
  if (process.env.CHROMIUM_BIN) return existsSync(process.env.CHROMIUM_BIN) ? process.env.CHROMIUM_BIN : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  let found = findChromium();
  if (!found && !process.argv.includes('--find-only') && canInstall() && !process.env.CHROMIUM_BIN) {
    console.error('ensure-chromium: Chromium is not installed; installing it (apt-get install chromium)');
    const err = aptInstall(['chromium']);
    if (err) {
      console.error(`ensure-chromium: apt-get install chromium failed: ${err}`);
      process.exit(1);
    }
    found = findChromium();
  }
  if (!found) {
    console.error(
      process.env.CHROMIUM_BIN
        ? `ensure-chromium: CHROMIUM_BIN=${process.env.CHROMIUM_BIN} does not exist`
        : `ensure-chromium: Chromium is not installed (the browser tests drive it): ${INSTALL_HINTS.chromium}; or set CHROMIUM_BIN`,
    );
    process.exit(1);
  }
  console.log(found);
}
