// Split-half error of the Hessian frequencies (report.ts splitHalfFrequencyErrors, reported by `anharm
// sscha` as hessian.frequencyErrors): σ ≈ |ν_A − ν_B|/2 from the two halves of the ensemble (antithetic
// pairs kept together). Calibrated here against the actual spread of the Hessian frequencies over
// independent ensembles of the rock-salt HS bond network (2×2×2, 300 K, at python-sscha's converged Φ of
// rs-hs-300K.json; production estimator: grouped U-statistic with the symmetrised Φ⁽³⁾). Deterministic
// seeds; 10 ensembles of 400 configurations.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BondNetworkCalculator } from '../../src/calculators/bond-network.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { evaluatePopulation, samplePopulation } from '../../src/sscha/ensemble.js';
import { KB_PYTHON_SSCHA } from '../../src/sscha/python-sscha.js';
import { KB } from '../../src/phonons/units.js';
import { phononSet, splitHalfFrequencyErrors, sschaHessian } from '../../src/sscha/report.js';
import { Structure } from '../../src/structure/structure.js';
import { makeSupercell } from '../../src/structure/supercell.js';
import { analyzeSymmetry } from '../../src/symmetry/analyze.js';
import { supercellOperations } from '../../src/symmetry/operations.js';
import { Symmetrizer } from '../../src/symmetry/symmetrize.js';
import type { Kernels } from '../../src/wasm/kernels.js';

const N_POP = 10;
const N_CONFIGS = 400;
let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
});

describe('split-half error of the Hessian frequencies', () => {
  it('matches the spread over independent ensembles (rms ratio within [0.5, 1.5])', async () => {
    const fx = JSON.parse(readFileSync(new URL('../fixtures/sscha/rs-hs-300K.json', import.meta.url), 'utf8'));
    const uc = fx.inputs.unit_cell;
    const masses = uc.species.map((s: string) => uc.masses_amu[s]);
    const unit = new Structure({ cell: uc.cell.flat(), species: uc.species, frac: uc.frac.flat(), masses });
    const sc = makeSupercell(unit, fx.inputs.supercell);
    const ds = analyzeSymmetry(unit);
    const sym = new Symmetrizer(sc.structure.cell, supercellOperations(sc.structure, ds.operations, Array.from(sc.matrix), ds.mapTolerance));
    const calc = new BondNetworkCalculator(k, fx.inputs.potential, sc.structure);
    const phi = Float64Array.from(fx.sscha.supercell_fc_eV_A2.flat());
    const T = 300 * (KB_PYTHON_SSCHA / KB);
    const R = sc.structure.cartesian();
    const freqs: number[][][] = [], errs: number[][][] = [];
    for (let p = 0; p < N_POP; p++) {
      const pop = samplePopulation(k, { structure: sc.structure, centroids: R, phi, temperature: T, nConfigs: N_CONFIGS, seed: 9100 + p, index: 0 });
      await evaluatePopulation(pop, calc, sc.structure, { stress: false });
      const h = sschaHessian(k, pop, sc, { symmetrizer: sym, nTranslations: 3 }, R, phi, T, { splitHalf: true });
      expect(h.thirdOrderSymmetrized).toBe(true);
      expect(h.halves).toHaveLength(2);
      freqs.push(phononSet(k, 'h', unit, sc, h.hessian, [2, 2, 2]).grid.map((g) => g.cm));
      errs.push(splitHalfFrequencyErrors(k, unit, sc, h.halves!, [2, 2, 2]).map((e) => e.err));
    }
    let sumVar = 0, sumErr2 = 0, count = 0;
    freqs[0].forEach((row, iq) => row.forEach((_, b) => {
      if (iq === 0 && b < 3) return; // acoustic at Γ
      const v = freqs.map((f) => f[iq][b]);
      const mean = v.reduce((x, y) => x + y, 0) / N_POP;
      sumVar += v.reduce((x, y) => x + (y - mean) ** 2, 0) / (N_POP - 1);
      sumErr2 += errs.reduce((x, e) => x + e[iq][b] ** 2, 0) / N_POP;
      count++;
    }));
    const actual = Math.sqrt(sumVar / count), reported = Math.sqrt(sumErr2 / count);
    console.log(`Hessian frequencies, ${N_POP} ensembles of ${N_CONFIGS}: rms spread ${actual.toFixed(3)} cm⁻¹, rms split-half error ${reported.toFixed(3)} cm⁻¹ (ratio ${(actual / reported).toFixed(2)})`);
    // measured 0.84 (10 ensembles), 0.82 (16): the split-half σ is ~20 % conservative (a half has more than
    // twice the variance of the whole: the U-statistic's second-order term grows as 1/N_c²)
    expect(actual / reported).toBeGreaterThan(0.5);
    expect(actual / reported).toBeLessThan(1.5);
  });
});
