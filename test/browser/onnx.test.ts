// The shipped ONNX models in headless Chromium (onnxruntime-web from node_modules through an import
// map) give bit-identical energies, forces and stresses to the same calculator in Node. Needs the
// built package (npm run build) and Debian's chromium.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FCC, randomCrystal } from '../calculators/helpers.js';
import { OnnxCalculator } from '../../src/calculators/onnx.js';
import { loadOnnxModel } from '../../src/node/onnx.js';
import { freshKernels } from '../../src/node/kernels.js';
import { Structure } from '../../src/structure/structure.js';
import { browserSession, openPage } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const hex = (a: ArrayLike<number>) => Buffer.from(Float64Array.from(a).buffer).toString('hex');
const plain = (s: Structure) => ({ cell: Array.from(s.cell), species: [...s.species], frac: Array.from(s.frac) });

const CASES: [string, Structure[]][] = [
  [
    'models/lj-argon.onnx',
    [
      randomCrystal(FCC, 5.26, 2, () => 'Ar', 31),
      new Structure({ cell: [3.9, 0.2, 0.1, 0.5, 4.1, 0.3, -0.4, 0.6, 4.3], species: ['Ar', 'Ar'], frac: [0, 0, 0, 0.48, 0.53, 0.46] }),
    ],
  ],
  ['models/morse-cu-ag.onnx', [randomCrystal(FCC, 3.8, 3, (q) => (q % 3 === 0 ? 'Ag' : 'Cu'), 32)]],
];

describe('ONNX models: Node and Chromium give bit-identical results', () => {
  const session = browserSession(ROOT, () => {
    for (const f of ['build/anharmonic.wasm', 'dist/src/index.js', 'dist/src/calculators/onnx.js', 'node_modules/onnxruntime-web/dist/ort.wasm.min.mjs']) {
      if (!existsSync(ROOT + f)) throw new Error(`${f} is missing: run "npm ci && npm run build" first`);
    }
  });

  it('lj-argon.onnx and morse-cu-ag.onnx: energies, forces and stresses match bit for bit', async () => {
    const { page, errors } = await openPage(session(), 'test/browser/onnx.html', 'onnxReady');
    const k = await freshKernels();
    for (const [path, cells] of CASES) {
      const browser = (await page.evaluate(
        ([p, c]) => (window as unknown as { runOnnx: (p: string, c: unknown) => Promise<unknown> }).runOnnx(p, c),
        ['/' + path, cells.map(plain)] as const,
      )) as { runtime: string; results: { energy: string; forces: string; stress: string }[] };
      expect(errors).toEqual([]);
      expect(browser.runtime).toBe('onnxruntime-web 1.30.0 (wasm, 1 thread)');

      const calc = (await loadOnnxModel(ROOT + path, { kernels: k })) as OnnxCalculator;
      expect(calc.runtime.name).toBe(browser.runtime);
      const node = await calc.compute(cells, { stress: true });
      await calc.dispose();
      expect(node[0].forces.some((f) => Math.abs(f) > 1e-4), path).toBe(true);
      expect(browser.results, path).toEqual(node.map((r) => ({ energy: hex([r.energy]), forces: hex(r.forces), stress: hex(r.stress!) })));
    }
    await page.close();
  });
});
