// Model files on the web page (headless Chromium, the page served as plain static files): a user
// loads argon and, as the potential, an MLIP model file (an MTP trained here on Lennard-Jones labels)
// and then an ONNX model (models/lj-argon.onnx), and runs harmonic phonons with 2 evaluation workers.
// Bands and DOS must be bitwise those of the same pipeline in Node (1 worker thread) on the same file
// bytes. A model file that is neither built-in nor MLIP is refused in one line naming the file.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { saveMlipModel } from '../../src/node/mlip.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { nodeParallelCalculator } from '../../src/node/workers.js';
import type { CalculatorSpec } from '../../src/parallel/spec.js';
import { runHarmonicJob, type HarmonicInputs } from '../../src/web/pipeline.js';
import { specFromFile } from '../../src/web/potentials.js';
import { trainArgonMtp } from '../parallel/argon-mtp.js';
import { browserSession } from './chromium.js';
import { hexBits, requireBuild } from './web-helpers.js';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const STRUCTURE = join(ROOT, 'examples/argon/POSCAR');
const ONNX = join(ROOT, 'models/lj-argon.onnx');

describe('model files on the web page', () => {
  const session = browserSession(ROOT, requireBuild);

  test('an MLIP model file and an ONNX model: harmonic phonons with 2 Web Workers are bitwise the Node run', async () => {
    const k = await loadKernels();
    loadMoyo();
    const { model } = await trainArgonMtp(k);
    const dir = mkdtempSync(join(tmpdir(), 'web-models-'));
    const MLIP = join(dir, 'ar-mtp.json');
    saveMlipModel(MLIP, model);
    model.basis.dispose?.();

    const { browser, url } = session();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${url}/src/web/index.html`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });
    await page.setInputFiles('#structure-file', STRUCTURE);
    await page.waitForFunction(() => /Fm-3m \(225\)/.test(document.getElementById('structure-info')!.textContent ?? ''));
    for (const [id, v] of Object.entries({ sc1: '3', sc2: '3', sc3: '3', threads: '2' })) await page.fill(`#${id}`, v);

    // a JSON that is neither a built-in potential nor a model file: one line naming the file
    await page.setInputFiles('#potential-file', { name: 'other.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "something-else"}') });
    // the page reads the file asynchronously: poll until it has answered
    await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toBe(
      'other.json: "type" is missing (a built-in potential has "type" one of lennard-jones, morse, stillinger-weber, bond-network; an MLIP model file has "format": "anharmonic-csp/mlip")',
    );

    const inputs = (spec: CalculatorSpec): HarmonicInputs => ({ structure: { text: readFileSync(STRUCTURE, 'utf8'), fileName: 'POSCAR' }, potential: spec, supercell: [3, 3, 3] });
    for (const [file, kind] of [[MLIP, 'mlip'], [ONNX, 'onnx']] as const) {
      await page.setInputFiles('#potential-file', file);
      await expect.poll(() => page.textContent('#potential-info'), { timeout: 10_000 }).toMatch(new RegExp(`^engine: ${kind} \\(`));
      await page.click('#run-harmonic');
      await page.waitForFunction(() => document.body.dataset.state !== 'running', null, { timeout: 60_000 });
      expect(await page.textContent('#status'), file).toMatch(/harmonic phonons done/);
      const web = await page.evaluate(() => {
        const st = (window as unknown as { anharm: { last: { harmonic: any; threads: number } } }).anharm.last;
        const h = st.harmonic;
        return { threads: st.threads, bands: h.bands.segments.flatMap((g: any) => Array.from(g.frequencies)) as number[], dos: Array.from(h.dos.dos) as number[] };
      });
      expect(web.threads).toBe(2);

      // Node: the spec the page makes from the same bytes, 1 worker thread
      const bytes = readFileSync(file);
      const spec = specFromFile(file.split('/').pop()!, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      expect(spec.kind).toBe(kind);
      const h = await runHarmonicJob({ kernels: k, calculator: (s) => nodeParallelCalculator(s, 1) }, inputs(spec));
      const bands = h.bands.segments.flatMap((g) => Array.from(g.frequencies));
      expect(Math.max(...bands), file).toBeGreaterThan(1); // THz: real phonons, not zeros
      console.log(`web models: ${kind}: ${web.bands.filter((v, i) => !Object.is(v, bands[i])).length} of ${bands.length} band values differ; top ${Math.max(...bands).toFixed(4)} THz`);
      expect(hexBits(web.bands), `${kind} bands`).toBe(hexBits(bands));
      expect(hexBits(web.dos), `${kind} DOS`).toBe(hexBits(h.dos.dos));
    }
    await page.close();
    expect(errors).toEqual([]);
  });
});
