// Node/browser parity: the same kernels on the same seeded inputs must give the same bits in
// headless Chromium and in Node. Needs the built package (npm run build) and Debian's chromium.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshKernels } from '../../src/node/kernels.js';
import { runSelfCheck, type SelfCheckResult } from '../../src/wasm/selfcheck.js';
import { launchChromium, serveStatic } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('Node and Chromium give bit-identical kernel results', () => {
  let server: Awaited<ReturnType<typeof serveStatic>>;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    for (const f of ['build/anharmonic.wasm', 'dist/src/wasm/kernels.js', 'dist/src/wasm/selfcheck.js']) {
      if (!existsSync(ROOT + f)) throw new Error(`${f} is missing: run "npm run build" first`);
    }
    server = await serveStatic(ROOT);
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await server?.close();
  });

  it('eigensolver, GEMM and 10^5 normal deviates match bitwise', async () => {
    const page = await chrome.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/test/browser/page.html`);
    await page.waitForFunction(() => (window as unknown as { parityReady?: boolean }).parityReady === true);
    const browserResult = (await page.evaluate(() =>
      (window as unknown as { runParity: () => Promise<unknown> }).runParity(),
    )) as SelfCheckResult;
    expect(errors).toEqual([]);
    const nodeResult = runSelfCheck(await freshKernels());
    expect(Object.keys(nodeResult.digests).sort()).toEqual(['eigenvalues', 'eigenvectors', 'gemm', 'normals']);
    expect(browserResult.digests).toEqual(nodeResult.digests);
    expect(browserResult.samples).toEqual(nodeResult.samples);
    await page.close();
  });
});
