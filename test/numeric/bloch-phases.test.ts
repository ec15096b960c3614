// The Fourier sum of the dynamical matrix uses cos/sin of 2π·(q·R) with the fraction reduced exactly
// (src/numeric/detmath.ts): at Γ and on the zone boundary the raw sum is real without rounding noise
// (Math.sin(π) would leave 1.2e-16 per term), and the phases match e^{2πi q·R} to an ulp elsewhere.
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinCalculator } from '../../src/calculators/builtin.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { computeForceConstants, DynamicalMatrix } from '../../src/phonons/index.js';
import { Structure } from '../../src/structure/structure.js';

let dm: DynamicalMatrix;
beforeAll(async () => {
  const k = await loadKernels();
  loadMoyo();
  // two species on a hexagonal lattice (the Morse crystal of test/phonons/exact.test.ts)
  const h = 2.55, c = 4.15;
  const hex = new Structure({ cell: [h, 0, 0, -h / 2, (h * Math.sqrt(3)) / 2, 0, 0, 0, c], species: ['Cu', 'Ni'], frac: [1 / 3, 2 / 3, 0.25, 2 / 3, 1 / 3, 0.75] });
  const morse = {
    type: 'morse',
    pairs: [
      { species: ['Cu', 'Cu'], D: 0.3429, a: 1.3588, r0: 2.866, cutoff: 6.0 },
      { species: ['Cu', 'Ni'], D: 0.38, a: 1.38, r0: 2.8, cutoff: 6.2 },
      { species: ['Ni', 'Ni'], D: 0.4205, a: 1.4199, r0: 2.78, cutoff: 6.4 },
    ],
  };
  dm = new DynamicalMatrix(k, await computeForceConstants(builtinCalculator(k, morse), hex, [2, 2, 2]));
});

describe('Bloch phases of the dynamical matrix', () => {
  it('the raw Fourier sum at Γ and zone-boundary q is exactly real', () => {
    for (const q of [[0, 0, 0], [0.5, 0, 0], [0, 0, 0.5], [0.5, 0, 0.5], [-0.5, 1, 0.5]]) {
      const phi = dm.forceConstantMatrix(q, { raw: true });
      let maxIm = 0, maxRe = 0;
      for (let i = 0; i < phi.length; i += 2) {
        maxRe = Math.max(maxRe, Math.abs(phi[i]));
        maxIm = Math.max(maxIm, Math.abs(phi[i + 1]));
      }
      expect(maxRe, `q = ${q}`).toBeGreaterThan(0.01);
      expect(maxIm, `q = ${q}`).toBe(0);
    }
  });

  it('at a general q the sum is complex and Hermitian to rounding', () => {
    const phi = dm.forceConstantMatrix([0.1, 0.23, -0.37], { raw: true });
    const n3 = 6;
    let maxIm = 0, maxRe = 0, asym = 0;
    for (let r = 0; r < n3; r++)
      for (let c = 0; c < n3; c++) {
        const a = 2 * (r * n3 + c), b = 2 * (c * n3 + r);
        maxRe = Math.max(maxRe, Math.abs(phi[a]));
        maxIm = Math.max(maxIm, Math.abs(phi[a + 1]));
        asym = Math.max(asym, Math.abs(phi[a] - phi[b]), Math.abs(phi[a + 1] + phi[b + 1]));
      }
    expect(maxIm).toBeGreaterThan(1e-3 * maxRe);
    expect(asym).toBeLessThan(1e-13 * maxRe);
  });
});
