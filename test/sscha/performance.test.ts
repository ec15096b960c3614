// Timings at the size of the performance target: a 128-atom supercell (rock salt 4×4×4) with 1000
// configurations — ensemble generation (sampling kernel), evaluation (bond network), one set of
// averages, one full minimisation step (update + symmetrisation + re-weighting + gradients).
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { EnsembleWorkspace, evaluatePopulation, projectPhi, samplePopulation, stepParameters, type SschaSymmetry } from '../../src/sscha/index.js';
import { BOND_POT, crystalCase, rockSalt } from './helpers.js';

describe('performance (128 atoms × 1000 configurations)', () => {
  it('sampling, evaluation, averages and one minimisation step', async () => {
    const k = await loadKernels();
    loadMoyo();
    const cs = await crystalCase(k, rockSalt(), BOND_POT(-8, 60), [4, 4, 4]);
    const s = cs.sc.structure;
    expect(s.natoms).toBe(128);
    const sym: SschaSymmetry = { symmetrizer: cs.symmetrizer, nTranslations: 3 };
    const phi = projectPhi(cs.phiHarm, sym);
    const R = s.cartesian();
    const T = 300;
    const time = (f: () => unknown) => {
      const t0 = performance.now();
      f();
      return performance.now() - t0;
    };
    let pop = samplePopulation(k, { structure: s, centroids: R, phi, temperature: T, nConfigs: 1000, seed: 1, index: 0 });
    const tSample = time(() => (pop = samplePopulation(k, { structure: s, centroids: R, phi, temperature: T, nConfigs: 1000, seed: 1, index: 0 })));
    const t1 = performance.now();
    await evaluatePopulation(pop, cs.calc, s);
    const tEval = performance.now() - t1;
    let ws!: EnsembleWorkspace;
    const tWs = time(() => (ws = new EnsembleWorkspace(k, pop, sym)));
    let a = ws.averages(R, phi, T);
    const tAvg = time(() => (a = ws.averages(R, phi, T)));
    const tStep = time(() => {
      const next = stepParameters(k, R, phi, a, 0.5, { reference: R, symmetry: sym });
      ws.averages(next.R, next.phi, T);
    });
    const tSym = time(() => cs.symmetrizer.forceConstants(a.G, { asr: true }));
    ws.free();
    console.log(
      `128 atoms × 1000 configs: sampling ${tSample.toFixed(1)} ms, evaluation (bond network) ${tEval.toFixed(0)} ms, ` +
        `workspace ${tWs.toFixed(1)} ms, averages ${tAvg.toFixed(1)} ms, one minimisation step ${tStep.toFixed(1)} ms ` +
        `(of which Φ symmetrisation ${tSym.toFixed(1)} ms ×2)`,
    );
    expect(tStep).toBeLessThan(5000);
  });
});
