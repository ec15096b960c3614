// Node/browser parity: the same kernels on the same seeded inputs must give the same bits in
// headless Chromium and in Node. Needs the built package (npm run build) and Debian's chromium.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freshKernels } from '../../src/node/kernels.js';
import { runSelfCheck, type SelfCheckResult } from '../../src/wasm/selfcheck.js';
import { browserSession, openPage } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('Node and Chromium give bit-identical kernel results', () => {
  const session = browserSession(ROOT, () => {
    for (const f of ['build/anharmonic.wasm', 'dist/src/wasm/kernels.js', 'dist/src/wasm/selfcheck.js']) {
      if (!existsSync(ROOT + f)) throw new Error(`${f} is missing: run "npm run build" first`);
    }
  });

  it('eigensolver, GEMM and 10^5 normal deviates match bitwise', async () => {
    const { page, errors } = await openPage(session(), 'test/browser/page.html', 'parityReady');
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
