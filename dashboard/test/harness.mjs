// What the browser tests and the bench share: the paths, a dev node with the dashboard built in,
// and headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; no browser download).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startDevNode } from 'tidepool-client/dev-node';

export const repo = resolve(fileURLToPath(import.meta.url), '../../..');
export const targetDir = resolve(repo, process.env.CARGO_TARGET_DIR ?? 'target');
export const binary = process.env.TIDEPOOL_BIN ?? join(targetDir, 'debug', 'tidepool');
export const screenshotDir = join(targetDir, 'dashboard-screenshots');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

export { startDevNode };

/** Headless Chromium with a fresh profile; `close()` stops it and removes the profile. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'tidepool-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
  context.setDefaultTimeout(30_000);
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A new page whose console errors and uncaught exceptions are collected in `errors`. */
export async function watchedPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    // Leaving a page aborts what it still has in flight: its live stream, and a poll of the
    // latest block or a balance that was under way at the click. The browser cancelled those
    // (`net::ERR_ABORTED`); the server did not fail them, and any other failure counts.
    const leftBehind = request.method() === 'GET' && request.failure()?.errorText === 'net::ERR_ABORTED';
    if (!leftBehind) errors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  return { page, errors };
}

export function ensureScreenshotDir() {
  mkdirSync(screenshotDir, { recursive: true });
  return screenshotDir;
}
