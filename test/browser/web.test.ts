// The web page (src/web/) in headless Debian Chromium, served as plain static files (the repository
// root, relative URLs, as any static host would): a user loads rock-salt NaCl, picks the anharmonic
// bond network, runs harmonic phonons and an SSCHA with 2 evaluation workers. The free energy, its
// error, the auxiliary frequencies, the whole minimisation history, the auxiliary and harmonic bands and
// the harmonic DOS must be bitwise those of the same pipeline run in Node (1 worker thread, same seed and inputs). A
// screenshot of the page after the run is kept in test-artifacts/web/ (gitignored).
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { nodeParallelCalculator } from '../../src/node/workers.js';
import { PRESETS, presetSpec } from '../../src/web/potentials.js';
import { runHarmonicJob, runSschaJob, type SschaInputs } from '../../src/web/pipeline.js';
import { browserSession } from './chromium.js';
import { requireBuild, hexBits } from './web-helpers.js';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'web');
const STRUCTURE = join(ROOT, 'test/fixtures/sscha-cli/rocksalt.vasp');

describe('the web page in headless Chromium', () => {
  const session = browserSession(ROOT, requireBuild);

  test('SSCHA of NaCl with 2 Web Workers: bitwise the Node run; screenshot kept', async () => {
    const { browser, url } = session();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${url}/src/web/index.html`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });

    // as a user: a file, a potential, the settings, the two buttons
    await page.setInputFiles('#structure-file', STRUCTURE);
    await page.selectOption('#potential', 'nacl-bond-network');
    await page.waitForFunction(() => /Fm-3m \(225\)/.test(document.getElementById('structure-info')!.textContent ?? ''));
    const settings: Record<string, string> = { sc1: '2', sc2: '2', sc3: '2', temperature: '300', configs: '100', seed: '7', 'max-populations': '6', threads: '2' };
    for (const [id, v] of Object.entries(settings)) await page.fill(`#${id}`, v);
    await page.click('#run-harmonic');
    await page.waitForFunction(() => document.body.dataset.state !== 'running', null, { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/harmonic phonons done/);
    await page.click('#run-sscha');
    await page.waitForFunction(() => document.body.dataset.state !== 'running', null, { timeout: 90_000 });
    expect(await page.getAttribute('body', 'data-state'), (await page.textContent('#status')) ?? '').toBe('done');

    const browserBits = await page.evaluate(() => {
      const bits = (a: ArrayLike<number>) => {
        const f = Float64Array.from(a as ArrayLike<number>);
        return Array.from(new Uint32Array(f.buffer), (w) => w.toString(16).padStart(8, '0')).join('');
      };
      const st = (window as unknown as { anharm: { last: { sscha: any; harmonic: any; threads: number } } }).anharm.last;
      const s = st.sscha, h = st.harmonic;
      return {
        threads: st.threads,
        F: bits([s.FperCell, s.FperCellErr, s.FperAtom]),
        freq: bits(s.frequenciesCm),
        freqErr: bits(s.frequencyErrCm),
        history: bits(s.history.flatMap((r: any) => [r.F, r.Ferr, r.GNorm, r.nEffRatio])),
        populations: s.populations,
        converged: s.converged,
        nfreq: s.frequenciesCm.length,
        values: {
          aux: s.auxiliaryBands.segments.flatMap((g: any) => Array.from(g.frequencies)) as number[],
          harmonic: h.bands.segments.flatMap((g: any) => Array.from(g.frequencies)) as number[],
          dos: Array.from(h.dos.dos) as number[],
        },
      };
    });
    expect(browserBits.threads).toBe(2);
    const { values: _values, ...browserDigests } = browserBits;

    // hover values on the free-energy plot
    const plot = page.locator('#plot-free-energy svg');
    await plot.scrollIntoViewIfNeeded();
    const box = (await plot.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.45);
    await page.mouse.move(box.x + box.width * 0.52, box.y + box.height * 0.5);
    expect(await page.locator('#plot-free-energy .tip').textContent()).toMatch(/population \d+, step \d+: F = -?[\d.]+ ± [\d.]+ meV\/atom/);
    const labels = await page.locator('#plot-sscha-bands svg text').allTextContents();
    expect(labels).toContain('wavenumber (cm⁻¹)');
    expect(labels).toContain('SSCHA auxiliary');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'sscha-page.png'), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);

    // the same pipeline in Node: 1 worker thread, same file, potential, seed and settings
    loadMoyo();
    const k = await loadKernels();
    const preset = PRESETS.find((p) => p.id === 'nacl-bond-network')!;
    const inputs: SschaInputs = {
      structure: { text: readFileSync(STRUCTURE, 'utf8'), fileName: 'rocksalt.vasp' },
      potential: presetSpec(preset),
      supercell: [2, 2, 2], temperature: 300, configs: 100, seed: 7, maxPopulations: 6,
    };
    const host = { kernels: k, calculator: (spec: Parameters<typeof nodeParallelCalculator>[0]) => nodeParallelCalculator(spec, 1) };
    const s = await runSschaJob(host, inputs);
    const h = await runHarmonicJob(host, inputs);
    expect(s.converged).toBe(true);
    expect(s.FperCellErr).toBeGreaterThan(0);
    const nodeBits = {
      threads: 2,
      F: hexBits([s.FperCell, s.FperCellErr, s.FperAtom]),
      freq: hexBits(s.frequenciesCm),
      freqErr: hexBits(s.frequencyErrCm),
      history: hexBits(s.history.flatMap((r) => [r.F, r.Ferr, r.GNorm, r.nEffRatio])),
      populations: s.populations,
      converged: s.converged,
      nfreq: 3 * 16 - 3,
    };
    // field by field, so that a failure names what differs (the digests are long)
    const differing = Object.keys(nodeBits).filter((key) => (browserDigests as Record<string, unknown>)[key] !== (nodeBits as Record<string, unknown>)[key]);
    expect(differing).toEqual([]);
    // Bands and DOS at arbitrary q: Fourier phases and Gaussian smearing use src/numeric/detmath.ts, not
    // the engine's Math.cos/sin/exp (which V8 versions round differently), so they are bitwise too.
    const node = {
      aux: s.auxiliaryBands.segments.flatMap((g) => Array.from(g.frequencies)),
      harmonic: h.bands.segments.flatMap((g) => Array.from(g.frequencies)),
      dos: Array.from(h.dos.dos),
    };
    for (const key of ['aux', 'harmonic', 'dos'] as const) {
      const a = browserBits.values[key], b = node[key];
      expect(a.length).toBe(b.length);
      const differ = a.filter((v, i) => !Object.is(v, b[i])).length;
      console.log(`web parity: ${key}: ${differ} of ${a.length} values differ`);
      expect(differ, `${key}: values that differ in any bit`).toBe(0);
      expect(hexBits(a)).toBe(hexBits(b));
    }
  });
});
