// physics.md 5.15.1: an exactly harmonic engine (HarmonicCalculator around the reference with the
// bond network's finite-difference Φ*). One unit preconditioned step from another positive Φ lands
// on Φ* up to the sampling noise of the ensemble covariance, which shrinks as N grows; at Φ = Φ*
// every δV_i = V(R), F = V(R) + F_0(Φ*) with a zero error bar, the gradients vanish, and the ionic
// pressure is (1/Ω) Σ_a (Φ*C)_{aα,aβ}. A unit Newton step moves the centroids onto the engine's
// minimum exactly.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CalcOptions, CalcResult, Calculator } from '../../src/calculators/calculator.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { HarmonicCalculator } from '../../src/phonons/harmonic-calculator.js';
import type { Structure } from '../../src/structure/structure.js';
import {
  EnsembleWorkspace, auxiliaryModes, evaluatePopulation, projectPhi, runSscha, samplePopulation, stepParameters, type SschaSymmetry,
} from '../../src/sscha/index.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { BOND_POT, crystalCase, maxAbs, maxAbsDiff, rockSalt, type CrystalCase } from './helpers.js';

/** Harmonic engine plus a constant V(R). */
class ShiftedHarmonic implements Calculator {
  readonly name = 'harmonic+V0';
  constructor(
    readonly inner: HarmonicCalculator,
    readonly v0: number,
  ) {}
  async compute(s: readonly Structure[], o?: CalcOptions): Promise<CalcResult[]> {
    return (await this.inner.compute(s, o)).map((r) => ({ ...r, energy: r.energy + this.v0 }));
  }
}

let k: Kernels;
let cs: CrystalCase;
let other: CrystalCase;
beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
  cs = await crystalCase(k, rockSalt(), BOND_POT(0, 0), [2, 2, 2]);
  // a different positive Φ: the same network with other spring constants
  const pot = BOND_POT(0, 0);
  pot.bonds[0].k2 = 3.1;
  pot.bonds[1].k2 = 0.15;
  other = await crystalCase(k, rockSalt(), pot, [2, 2, 2]);
});

const V0 = -3.25;
const T = 300;

describe('harmonic crystal (5.15.1)', () => {
  it('one unit preconditioned step from another Φ gives Φ* up to sampling noise that shrinks with N', async () => {
    const s = cs.sc.structure;
    const sym: SschaSymmetry = { symmetrizer: cs.symmetrizer, nTranslations: 3 };
    const phiStar = cs.phiHarm;
    const phiStart = other.phiHarm;
    const R0 = s.cartesian();
    const eng = new ShiftedHarmonic(new HarmonicCalculator(s, phiStar), V0);
    const errs: number[] = [];
    const scale = maxAbs(phiStar);
    expect(maxAbsDiff(phiStart, phiStar) / scale).toBeGreaterThan(0.3);
    for (const N of [100, 1600]) {
      const pop = samplePopulation(k, { structure: s, centroids: R0, phi: phiStart, temperature: T, nConfigs: N, seed: 7, index: 0 });
      await evaluatePopulation(pop, eng, s);
      const ws = new EnsembleWorkspace(k, pop, sym);
      const a = ws.averages(R0, phiStart, T);
      const next = stepParameters(k, R0, phiStart, a, 1, { reference: R0, symmetry: sym });
      ws.free();
      errs.push(maxAbsDiff(next.phi, phiStar) / scale);
    }
    console.log(`harmonic one-step |Φ1 − Φ*|max/|Φ*|max: N=100 ${errs[0].toExponential(3)}, N=1600 ${errs[1].toExponential(3)} (ratio ${(errs[0] / errs[1]).toFixed(2)}, √16 = 4)`);
    expect(errs[1]).toBeLessThan(errs[0] / 2);
    expect(errs[1]).toBeLessThan(0.03);
  });

  it('at Φ = Φ*: δV_i = V(R), F = V(R) + F_0(Φ*) with zero error, zero gradients, ionic pressure (1/Ω)Σ_a(Φ*C)_aα,aβ', async () => {
    const s = cs.sc.structure;
    const n3 = 3 * s.natoms;
    const sym: SschaSymmetry = { symmetrizer: cs.symmetrizer, nTranslations: 3 };
    const phiStar = projectPhi(cs.phiHarm, sym);
    const R0 = s.cartesian();
    const eng = new ShiftedHarmonic(new HarmonicCalculator(s, phiStar), V0);
    const pop = samplePopulation(k, { structure: s, centroids: R0, phi: phiStar, temperature: T, nConfigs: 400, seed: 11, index: 0 });
    await evaluatePopulation(pop, eng, s);
    const ws = new EnsembleWorkspace(k, pop, sym);
    const a = ws.averages(R0, phiStar, T, { exactShortcut: false });
    const dv = ws.buffer('DV').toArray();
    expect(maxAbs(dv.map((x) => x - V0))).toBeLessThan(1e-12);
    const modes = auxiliaryModes(k, phiStar, s.masses, T);
    expect(Math.abs(a.F - (V0 + modes.F0))).toBeLessThan(1e-12);
    expect(a.Ferr).toBeLessThan(1e-13);
    expect(a.GNorm).toBeLessThan(1e-8);
    expect(a.gRNorm).toBeLessThan(1e-8);
    // exact ionic term from C = Σ_μ A²_μ ẽ_μ ẽ_μᵀ (independent dense algebra here)
    const C = new Float64Array(n3 * n3);
    for (let mu = 0; mu < modes.nModes; mu++) {
      const A2 = modes.amplitude[mu] ** 2;
      const e = modes.etilde.subarray(mu * n3, (mu + 1) * n3);
      for (let i = 0; i < n3; i++) for (let j = 0; j < n3; j++) C[i * n3 + j] += A2 * e[i] * e[j];
    }
    const ionic = new Float64Array(9);
    for (let at = 0; at < s.natoms; at++)
      for (let al = 0; al < 3; al++)
        for (let be = 0; be < 3; be++) {
          let v = 0;
          for (let q = 0; q < n3; q++) v += phiStar[(3 * at + al) * n3 + q] * C[q * n3 + 3 * at + be];
          ionic[3 * al + be] += v / s.volume;
        }
    expect(maxAbsDiff(a.ionicPressure, ionic) / maxAbs(ionic)).toBeLessThan(1e-10);
    expect(maxAbs(a.ionicPressureErr)).toBeLessThan(1e-12 * maxAbs(ionic));
    // and the plain sample estimate −(1/Ω)⟨Σ_a f_aα u_aβ⟩ agrees within its noise
    const N = pop.nConfigs;
    const samp = new Float64Array(9);
    for (let i = 0; i < N; i++)
      for (let at = 0; at < s.natoms; at++)
        for (let al = 0; al < 3; al++)
          for (let be = 0; be < 3; be++) {
            const f = pop.forces[i * n3 + 3 * at + al];
            const u = pop.positions[i * n3 + 3 * at + be] - R0[3 * at + be];
            samp[3 * al + be] -= (f * u) / (N * s.volume);
          }
    console.log(`ionic pressure (eV/Å³): exact ${ionic[0].toExponential(6)}, SSCHA ${a.ionicPressure[0].toExponential(6)}, plain sample mean ${samp[0].toExponential(6)}`);
    expect(Math.abs(samp[0] - ionic[0]) / ionic[0]).toBeLessThan(0.05);
    ws.free();
  });

  it('the full minimiser converges onto Φ* and F = V(R) + F_0(Φ*)', async () => {
    const s = cs.sc.structure;
    const sym: SschaSymmetry = { symmetrizer: cs.symmetrizer, nTranslations: 3 };
    const phiStar = projectPhi(cs.phiHarm, sym);
    const eng = new ShiftedHarmonic(new HarmonicCalculator(s, phiStar), V0);
    const res = await runSscha({ kernels: k, calculator: eng, supercell: cs.sc, symmetry: cs.symmetrizer, phi0: other.phiHarm, T, nConfigs: 800, seed: 5 });
    expect(res.converged).toBe(true);
    const exactF = V0 + auxiliaryModes(k, phiStar, s.masses, T).F0;
    const rel = maxAbsDiff(res.phi, phiStar) / maxAbs(phiStar);
    console.log(`harmonic run: ${res.populations.length} population(s), ${res.history.length} steps, |Φ − Φ*|/|Φ*| = ${rel.toExponential(2)}, F − F_exact = ${(res.F - exactF).toExponential(2)} ± ${res.Ferr.toExponential(2)} eV`);
    expect(rel).toBeLessThan(0.03);
    expect(Math.abs(res.F - exactF)).toBeLessThan(Math.max(3 * res.Ferr, 1e-4));
  });

  it('a unit Newton step moves the centroids onto the minimum of the harmonic engine', async () => {
    const s = cs.sc.structure;
    const n3 = 3 * s.natoms;
    const sym: SschaSymmetry = { nTranslations: 3 }; // displaced centroids break the symmetry: none
    const phiStar = projectPhi(cs.phiHarm, { symmetrizer: cs.symmetrizer, nTranslations: 3 });
    const Rstar = s.cartesian();
    const R = Float64Array.from(Rstar, (x, q) => x + 0.03 * Math.sin(1.7 * q + 0.3));
    const eng = new HarmonicCalculator(s, phiStar);
    const pop = samplePopulation(k, { structure: s, centroids: R, phi: phiStar, temperature: T, nConfigs: 20, seed: 3, index: 0 });
    await evaluatePopulation(pop, eng, s);
    const ws = new EnsembleWorkspace(k, pop, sym);
    const a = ws.averages(R, phiStar, T);
    const next = stepParameters(k, R, phiStar, { G: new Float64Array(n3 * n3), gRTilde: a.gRTilde }, 1, { reference: Rstar, symmetry: sym });
    ws.free();
    // equal up to a rigid translation (excluded)
    const d = next.R.map((x, q) => x - Rstar[q]);
    const mean = [0, 1, 2].map((al) => d.filter((_, q) => q % 3 === al).reduce((x, y) => x + y, 0) / s.natoms);
    const off = maxAbs(d.map((x, q) => x - mean[q % 3]));
    console.log(`Newton step: max centroid error after one unit step ${off.toExponential(2)} Å (start ${maxAbsDiff(R, Rstar).toExponential(2)} Å)`);
    expect(off).toBeLessThan(1e-10);
  });
});
