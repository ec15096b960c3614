// Failure handling: an engine that returns NaN in the middle of a population, a starting Φ with
// imaginary modes (and positiveDefiniteStart), collapsing N_eff (new population, not a crash),
// invalid inputs.
import { beforeAll, describe, expect, it } from 'vitest';
import { CalculatorError, type CalcOptions, type CalcResult, type Calculator } from '../../src/calculators/calculator.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import type { Structure } from '../../src/structure/structure.js';
import { ImaginaryModeError, SschaError, auxiliaryModes, positiveDefiniteStart, runSscha, type SschaPartial } from '../../src/sscha/index.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { BOND_POT, OnSiteCalculator, boxAtom, crystalCase, quarticScha, rockSalt, type CrystalCase } from './helpers.js';

/** Returns NaN as the energy of the configuration with global index `bad` (counted over all calls). */
class NaNAt implements Calculator {
  readonly name = 'nan-at';
  seen = 0;
  constructor(
    readonly inner: Calculator,
    readonly bad: number,
  ) {}
  async compute(structures: readonly Structure[], o?: CalcOptions): Promise<CalcResult[]> {
    const r = await this.inner.compute(structures, o);
    const at = this.bad - this.seen;
    this.seen += structures.length;
    if (at >= 0 && at < r.length) r[at] = { ...r[at], forces: r[at].forces.map((f, q) => (q === 4 ? NaN : f)) };
    return r;
  }
}

let k: Kernels;
let cs: CrystalCase;
beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
  cs = await crystalCase(k, rockSalt(), BOND_POT(-8, 60), [2, 2, 2]);
});

describe('failure handling', () => {
  it('engine NaN mid-population: CalculatorError naming the configuration, earlier results kept', async () => {
    const eng = new NaNAt(cs.calc, 13);
    let err: unknown;
    try {
      await runSscha({ kernels: k, calculator: eng, supercell: cs.sc, symmetry: cs.symmetrizer, phi0: cs.phiHarm, T: 300, nConfigs: 40, seed: 2, batchSize: 8 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CalculatorError);
    const e = err as CalculatorError & { partial?: SschaPartial };
    expect(e.message).toMatch(/population 0/);
    expect(e.message).toMatch(/configuration 13/);
    expect(e.index).toBe(13);
    const pop = e.partial!.populations[0];
    expect(pop.evaluated).toBe(13);
    expect(pop.energies.subarray(0, 13).every(Number.isFinite)).toBe(true);
    expect(Number.isNaN(pop.energies[13])).toBe(true);
    expect(pop.forces.subarray(0, 13 * 48).every(Number.isFinite)).toBe(true);
  });

  it('a starting Φ with imaginary modes is refused with the mode and its frequency; positiveDefiniteStart fixes it', async () => {
    const s = cs.sc.structure;
    const n3 = 3 * s.natoms;
    // soften: subtract a multiple of the mass matrix on the non-translational part → imaginary modes
    const modes = auxiliaryModes(k, cs.phiHarm, s.masses, 0);
    const bad = Float64Array.from(cs.phiHarm);
    const w2max = modes.omega2[modes.nModes - 1];
    for (let mu = 0; mu < 6; mu++) {
      // push the six lowest ω² to negative values
      const e = modes.polar.subarray(mu * n3, (mu + 1) * n3);
      const shift = modes.omega2[mu] + 0.05 * w2max;
      for (let a = 0; a < n3; a++)
        for (let b = 0; b < n3; b++) bad[a * n3 + b] -= shift * Math.sqrt(s.masses[Math.floor(a / 3)] * s.masses[Math.floor(b / 3)]) * e[a] * e[b];
    }
    const run = (phi0: ArrayLike<number>) =>
      runSscha({ kernels: k, calculator: cs.calc, supercell: cs.sc, symmetry: cs.symmetrizer, phi0, T: 300, nConfigs: 100, seed: 2, maxPopulations: 2 });
    let err: unknown;
    try {
      await run(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImaginaryModeError);
    const ie = err as ImaginaryModeError;
    expect(ie.frequencyCm).toBeLessThan(0);
    expect(ie.mode).toBe(0);
    expect(ie.message).toMatch(/mode 0 of 45/);
    expect(ie.message).toMatch(/\d+\.\d+i cm⁻¹/);
    expect(ie.message).toMatch(/positiveDefiniteStart/);
    const pd = positiveDefiniteStart(k, bad, s.masses, { symmetrizer: cs.symmetrizer });
    expect(pd.flipped).toBeGreaterThan(0);
    const m2 = auxiliaryModes(k, pd.phi, s.masses, 0);
    expect(m2.omega[0] * 521.470898).toBeGreaterThanOrEqual(50 - 1e-6);
    const res = await run(pd.phi);
    expect(Number.isFinite(res.F)).toBe(true);
  });

  it('collapsing N_eff starts a new population instead of failing', async () => {
    // a start far too stiff: the target distribution is much wider than the sampled one, N_eff
    // and the precision ratio collapse along the way
    const atom = boxAtom(1);
    const res = await runSscha({
      kernels: k, calculator: new OnSiteCalculator(atom, 1, 1), supercell: atom, symmetry: null, nTranslations: 0,
      phi0: [12, 0, 0, 0, 12, 0, 0, 0, 12], T: 0, nConfigs: 400, seed: 77, maxPopulations: 12,
    });
    const reasons = res.populationReasons;
    console.log(`N_eff collapse: populations ${res.populations.length}, stop reasons ${reasons.join(', ')}`);
    expect(reasons.filter((r) => r === 'ensemble-exhausted').length).toBeGreaterThan(0);
    expect(res.populations.length).toBeGreaterThan(1);
    expect(res.converged).toBe(true);
    const exact = quarticScha(1, 1, 1, 0);
    console.log(`  F = ${res.F.toFixed(6)} ± ${res.Ferr.toExponential(2)} vs exact ${(3 * exact.F).toFixed(6)} (${((res.F - 3 * exact.F) / res.Ferr).toFixed(2)}σ)`);
    expect(Math.abs(res.F - 3 * exact.F)).toBeLessThan(3 * res.Ferr);
  });

  it('invalid inputs are refused with clear messages', async () => {
    const atom = boxAtom(1);
    const base = { kernels: k, calculator: new OnSiteCalculator(atom, 1, 1), supercell: atom, symmetry: null, nTranslations: 0, phi0: [1, 0, 0, 0, 1, 0, 0, 0, 1], T: 0, seed: 1 };
    await expect(runSscha({ ...base, nConfigs: 7 })).rejects.toThrow(/even/);
    await expect(runSscha({ ...base, nConfigs: 8, T: -1 })).rejects.toThrow(SschaError);
    await expect(runSscha({ ...base, nConfigs: 8, phi0: [1, 2, 3] })).rejects.toThrow(/3×3/);
  });
});
