// `anharm web`: the compiled CLI serves the page and its files (and nothing else) on 127.0.0.1, the
// page starts in Chromium from it (no cross-origin isolation headers: the page must not need them),
// and a second server on the same port is refused with a one-line message and exit code 2.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, runCli } from '../helpers/processes.js';
import { launchChromium } from './chromium.js';
import { requireBuild } from './web-helpers.js';

describe('anharm web', () => {
  let child: ChildProcess;
  let url = '';
  beforeAll(async () => {
    requireBuild();
    child = spawn(process.execPath, [BIN, 'web', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((ok, bad) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += String(d);
        const m = /serving the page at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) ok(m[1]);
      });
      child.stderr!.on('data', (d) => bad(new Error(String(d))));
      child.on('exit', (code) => bad(new Error(`anharm web exited with ${code}`)));
    });
  });
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  test('serves the page, the library, the kernels, moyo and onnxruntime-web\'s dist/; nothing else', async () => {
    const root = await fetch(url, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/src/web/index.html');
    const page = await fetch(new URL('src/web/index.html', url));
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('../../dist/src/web/app.js');
    for (const [path, type] of [
      ['src/web/style.css', 'text/css'],
      ['dist/src/web/app.js', 'text/javascript'],
      ['dist/src/parallel/browser-worker.js', 'text/javascript'],
      ['build/anharmonic.wasm', 'application/wasm'],
      ['node_modules/@spglib/moyo-wasm/moyo_wasm.js', 'text/javascript'],
      ['node_modules/@spglib/moyo-wasm/moyo_wasm_bg.wasm', 'application/wasm'],
      // .onnx potentials: onnxruntime-web's browser module and its WebAssembly
      ['node_modules/onnxruntime-web/dist/ort.wasm.min.mjs', 'text/javascript'],
      ['node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm', 'application/wasm'],
    ]) {
      const r = await fetch(new URL(path, url));
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type'), path).toContain(type);
    }
    for (const path of ['package.json', 'src/cli/web.ts', 'node_modules/commander/package.json', 'node_modules/onnxruntime-web/package.json', 'dist/../package.json', 'src/web/../../package.json']) {
      expect((await fetch(new URL(path, url))).status, path).toBe(404);
    }
    expect((await fetch(new URL('src/web/index.html', url), { method: 'POST' })).status).toBe(405);
  });

  test('the page starts from it in Chromium without cross-origin isolation', async () => {
    const chrome = await launchChromium();
    try {
      const page = await chrome.browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(url);
      await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });
      expect(await page.textContent('#env')).toMatch(/cross-origin isolated: no \(not needed\)/);
      // the example crystal through the compute worker (moyo loaded there by URL)
      await page.click('#use-example');
      await page.waitForFunction(() => /space group Fm-3m \(225\)/.test(document.getElementById('structure-info')!.textContent ?? ''));
      expect(errors).toEqual([]);
    } finally {
      await chrome.close();
    }
  });

  test('a taken port is refused with one clear line and exit code 2', () => {
    const port = new URL(url).port;
    const r = runCli('web', '--port', port);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`anharm: web: port ${port} on 127.0.0.1 is already in use; choose another with --port`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
