import { it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { builtinCalculator } from '../../src/calculators/builtin.js';
import { relax } from '../../src/relax/index.js';
import { analyzeSymmetry } from '../../src/symmetry/index.js';
import { AR, cubic, DIAMOND, FCC, distort, ljFccLatticeConstant } from '../../test/fixtures/relax/helpers.js';

it('scratch', async () => {
  const k = await loadKernels();
  loadMoyo();
  const lj = builtinCalculator(k, AR);
  const sw = builtinCalculator(k, { type: 'stillinger-weber' });
  for (const P of [0, 1]) {
    const a = ljFccLatticeConstant(P);
    console.log('analytic a', P, a);
    for (const method of ['fire', 'lbfgs'] as const) {
      const s = distort(cubic(FCC, 5.0, 'Ar'), 1, 0.03, 0.0);
      const t0 = performance.now();
      const r = await relax(lj, s, { pressure: P, method, fmax: 1e-4, smax: 1e-4 });
      console.log(JSON.stringify([method, r.status, r.steps, r.forceCalls, r.structure.lattice().a, r.structure.lattice().c, r.pressure]), (performance.now() - t0).toFixed(0), 'ms');
    }
  }
  for (const P of [0, 10]) for (const method of ['fire', 'lbfgs'] as const) {
    const s = distort(cubic(DIAMOND, 5.431, 'Si'), 3, 0.05, 0.1);
    const r = await relax(sw, s, { pressure: P, method, fmax: 1e-4, smax: 1e-3 });
    console.log('Si', P, method, r.status, r.steps, r.forceCalls, r.energy / 8, r.volume, r.pressure, analyzeSymmetry(r.structure, 1e-3).number);
  }
});
