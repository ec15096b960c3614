// src/symmetry in a browser: headless Debian Chromium (playwright-core, never a downloaded browser)
// loads the compiled package (dist/, built by `npm test`), initialises moyo
// with `initMoyo(url)`, and must give the same space group, operations, Wyckoff letters and
// bit-identical symmetrised force constants as Node (which initialises moyo with the Node adapter).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadMoyo } from '../../src/node/moyo.js';
import { Structure } from '../../src/structure/structure.js';
import { analyzeSymmetry, Symmetrizer } from '../../src/symmetry/index.js';
import { readFixtureJson } from '../helpers/fixtures.js';
import { browserSession, openPage } from './chromium.js';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

describe('src/symmetry in headless Chromium', () => {
  const session = browserSession(ROOT, () => {
    if (!existsSync(join(ROOT, 'dist/src/symmetry/index.js'))) throw new Error('dist/ is missing: run "npm run build" first');
    loadMoyo();
  });

  test('initMoyo(url) in the browser; same results as Node, bit for bit', async () => {
    const fx = readFixtureJson('symmetry/spglib_reference.json');
    const c = fx.cases.find((x: { name: string }) => x.name === 'H3S_Im-3m_prim_222');
    const n3 = 3 * c.species.length;
    const phi = Array.from({ length: n3 * n3 }, (_, k) => Math.sin(0.37 * k) + 0.1 * Math.cos(1.3 * k * k));
    const { page, errors } = await openPage(session(), 'test/browser/symmetry.html', 'symmetryReady');
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
