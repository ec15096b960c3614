// Headless Debian Chromium driven by playwright-core (never a downloaded browser), and a tiny
// static server on 127.0.0.1 for the repository's files.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Serve `root` read-only on 127.0.0.1 with a random free port. */
export async function serveStatic(root: string): Promise<{ url: string; close: () => Promise<void> }> {
  const base = resolve(root);
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(base, path);
    if (!file.startsWith(base) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      // Cross-origin isolation, so SharedArrayBuffer is available to later threaded kernels.
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('server has no port');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Launch headless Chromium with the flags this sandbox needs, and a fresh profile. */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install --no-install-recommends chromium) or set CHROMIUM_PATH`,
    );
  }
  // playwright gives every launch a fresh temporary profile (it refuses --user-data-dir here).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
    },
  };
}

export interface BrowserSession {
  /** Base URL of the static server. */
  url: string;
  browser: Browser;
}

/**
 * For the tests of the enclosing describe block: run `prepare` (e.g. check that the build exists),
 * serve `root` and launch Chromium before them, and close both after them. Returns the session's
 * accessor (valid inside the tests).
 */
export function browserSession(root: string, prepare: () => void = () => {}): () => BrowserSession {
  let server: Awaited<ReturnType<typeof serveStatic>> | undefined;
  let chrome: Awaited<ReturnType<typeof launchChromium>> | undefined;
  beforeAll(async () => {
    prepare();
    server = await serveStatic(root);
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await server?.close();
  });
  return () => ({ url: server!.url, browser: chrome!.browser });
}

/** Open `path` (below the served root) in a new page and wait until `window[readyFlag] === true`; page errors are collected. */
export async function openPage(session: BrowserSession, path: string, readyFlag: string): Promise<{ page: Page; errors: string[] }> {
  const page = await session.browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${session.url}/${path}`);
  await page.waitForFunction((flag) => (window as unknown as Record<string, unknown>)[flag] === true, readyFlag);
  return { page, errors };
}
