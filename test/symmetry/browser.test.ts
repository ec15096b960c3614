// src/symmetry in a browser: headless Debian Chromium (playwright-core, never a downloaded browser)
// loads the TypeScript sources transpiled on the fly by a loopback server, initialises moyo with
// `initMoyo(url)`, and must give the same space group, operations, Wyckoff letters and bit-identical
// symmetrised force constants as Node (which initialises moyo with the Node adapter).
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadMoyo } from '../../src/node/moyo.js';
import { Structure } from '../../src/structure/structure.js';
import { analyzeSymmetry, Symmetrizer } from '../../src/symmetry/index.js';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Debian Chromium; playwright gives it a fresh temporary profile. */
async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install --no-install-recommends chromium, or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const PAGE = `<!doctype html><meta charset="utf-8">
<script type="importmap">{"imports":{"@spglib/moyo-wasm":"/node_modules/@spglib/moyo-wasm/moyo_wasm.js"}}</script>
<script type="module">
import { initMoyo, analyzeSymmetry, Symmetrizer } from '/src/symmetry/index.js';
import { Structure } from '/src/structure/structure.js';
window.runSymmetry = async (c, phi) => {
  await initMoyo('/node_modules/@spglib/moyo-wasm/moyo_wasm_bg.wasm');
  const s = new Structure({ cell: c.cell.flat(), species: c.species, frac: c.frac.flat() });
  const ds = analyzeSymmetry(s);
  const out = Symmetrizer.of(s, ds).forceConstants(Float64Array.from(phi), { asr: true });
  return { number: ds.number, hall: ds.hallNumber, nops: ds.operations.length, wyckoffs: ds.wyckoffs,
           maps: ds.atomMaps.map((m) => Array.from(m)), phi: Array.from(out) };
};
window.symmetryReady = true;
</script>`;

/** Loopback server: the page, src/**.js transpiled from .ts, moyo-wasm's files. Nothing else. */
async function serve(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (path === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      return;
    }
    if (path.startsWith('/src/') && path.endsWith('.js')) {
      const file = join(ROOT, path.replace(/\.js$/, '.ts'));
      if (file.startsWith(ROOT) && existsSync(file)) {
        const js = ts.transpileModule(readFileSync(file, 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
        }).outputText;
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(js);
        return;
      }
    }
    if (path.startsWith('/node_modules/@spglib/moyo-wasm/')) {
      const file = join(ROOT, path);
      if (file.startsWith(ROOT) && existsSync(file)) {
        const type = extname(file) === '.wasm' ? 'application/wasm' : 'text/javascript; charset=utf-8';
        res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
        return;
      }
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('server has no port');
  return { url: `http://127.0.0.1:${addr.port}`, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

describe('src/symmetry in headless Chromium', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let chrome: Browser;
  beforeAll(async () => {
    loadMoyo();
    server = await serve();
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await server?.close();
  });

  test('initMoyo(url) in the browser; same results as Node, bit for bit', async () => {
    const fx = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/symmetry/spglib_reference.json'), 'utf8'));
    const c = fx.cases.find((x: { name: string }) => x.name === 'H3S_Im-3m_prim_222');
    const n3 = 3 * c.species.length;
    const phi = Array.from({ length: n3 * n3 }, (_, k) => Math.sin(0.37 * k) + 0.1 * Math.cos(1.3 * k * k));
    const page = await chrome.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/page.html`);
    await page.waitForFunction(() => (window as unknown as { symmetryReady?: boolean }).symmetryReady === true);
    const br = (await page.evaluate(
      ([cc, pp]) => (window as unknown as { runSymmetry: (a: unknown, b: unknown) => Promise<unknown> }).runSymmetry(cc, pp),
      [c, phi] as const,
    )) as { number: number; hall: number; nops: number; wyckoffs: string[]; maps: number[][]; phi: number[] };
    await page.close();
    expect(errors).toEqual([]);

    const s = new Structure({ cell: c.cell.flat(), species: c.species, frac: c.frac.flat() });
    const ds = analyzeSymmetry(s);
    const mine = Symmetrizer.of(s, ds).forceConstants(Float64Array.from(phi), { asr: true });
    expect(br.number).toBe(229);
    expect(br.number).toBe(ds.number);
    expect(br.hall).toBe(ds.hallNumber);
    expect(br.nops).toBe(384);
    expect(br.wyckoffs).toEqual(ds.wyckoffs);
    expect(br.maps).toEqual(ds.atomMaps.map((m) => Array.from(m)));
    expect(br.phi).toEqual(Array.from(mine));
  });
});
