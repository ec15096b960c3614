// Constant-pressure SSCHA (physics.md 5.10; src/sscha/variable-cell.ts).
//
// (a) An exactly solvable crystal: E = E_st(Ω) + ½ s(Ω) uᵀΦ₁u with u the Cartesian displacements
//     from the lattice sites, Φ₁ the harmonic force constants of a simple-cubic bond network,
//     E_st = ½B₀(Ω − Ω₀)²/Ω₀ and s = (Ω₀/Ω)^{2γ} (all frequencies scale as Ω^{−γ}). At every cell the
//     SSCHA is exact (Φ = sΦ₁), so F(Ω) = E_st(Ω) + F_0(sΦ₁) and P(Ω) = −dF/dΩ =
//     −B₀(Ω−Ω₀)/Ω₀ + (γ/Ω)Σ_μ(ħω_μ/2)coth(ħω_μ/2k_BT) are known in closed form: the reference volume
//     at P₀ is found by bisection here, independently of the SSCHA code.
//     (A bond network with k3 = k4 = 0 is NOT such a reference: bond-length nonlinearity makes it
//     anharmonic in the Cartesian displacements.)
// (b) The anharmonic simple-cubic bond network relaxes to P₀ within error at T = 0 and 300 K.
// (c) 'fixed-volume' keeps the volume exactly and removes the deviatoric pressure of a tetragonally
//     strained cell; 'fixed-shape' only scales the cell.
// (d) Impossible pressures end with a VariableCellError carrying the partial results.
import { beforeAll, describe, expect, it } from 'vitest';
import { BondNetworkCalculator } from '../../src/calculators/bond-network.js';
import { CalculatorError, type Calculator } from '../../src/calculators/calculator.js';
import { eighValues } from '../../src/linalg/eigh.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import { Structure } from '../../src/structure/structure.js';
import { makeSupercell } from '../../src/structure/supercell.js';
import { analyzeSymmetry } from '../../src/symmetry/analyze.js';
import { supercellOperations } from '../../src/symmetry/operations.js';
import { Symmetrizer } from '../../src/symmetry/symmetrize.js';
import {
  EnsembleWorkspace, VariableCellError, evaluatePopulation, runSschaVariableCell, samplePopulation,
  type VariableCellPartial,
} from '../../src/sscha/index.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { HBAR, KB, SC_A, SC_POT, VolumeHarmonic, crystalCase, simpleCubic, type CrystalCase } from './helpers.js';

const GPA = 160.2176634;

let k: Kernels;
let harm: CrystalCase; // simple cubic 2×2×2, harmonic bonds (Φ₁ and symmetry for the exact model)
let anh: CrystalCase; // simple cubic 2×2×2, anharmonic bonds
beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
  harm = await crystalCase(k, simpleCubic(), SC_POT(0, 0), [2, 2, 2]);
  anh = await crystalCase(k, simpleCubic(), SC_POT(-8, 60), [2, 2, 2]);
});

// ---------------------------------------------------------------------------------------------
// (a) exactly solvable model

/** Closed-form F(Ω), P(Ω) of the model (ω⁰ the non-zero frequencies of Φ₁). */
function exactModel(w0: Float64Array, calc: VolumeHarmonic, T: number) {
  const f = (w: number) => (HBAR * w) / 2 + (T > 0 ? KB * T * Math.log(-Math.expm1((-HBAR * w) / (KB * T))) : 0);
  const fp = (w: number) => (T > 0 ? (HBAR / 2) / Math.tanh((HBAR * w) / (2 * KB * T)) : HBAR / 2);
  const { V0, B0, gamma } = calc;
  const F = (V: number) => {
    const r = Math.sqrt(calc.scale(V));
    let s = (0.5 * B0 * (V - V0) ** 2) / V0;
    for (const w of w0) s += f(w * r);
    return s;
  };
  const P = (V: number) => {
    const r = Math.sqrt(calc.scale(V));
    let s = (-B0 * (V - V0)) / V0;
    for (const w of w0) s += (gamma / V) * w * r * fp(w * r);
    return s;
  };
  /** V with P(V) = P0 (eV/Å³) by bisection. */
  const volumeAt = (P0: number) => {
    let lo = 0.7 * V0, hi = 1.3 * V0;
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (lo + hi);
      if (P(mid) > P0) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  };
  return { F, P, volumeAt };
}

describe('variable cell: exactly solvable crystal (harmonic in u, volume-dependent Φ*)', () => {
  const B0 = 0.5, gamma = 1.5; // 80 GPa static bulk modulus, Grüneisen parameter 1.5
  let calc: VolumeHarmonic;
  let w0: Float64Array;
  beforeAll(() => {
    calc = new VolumeHarmonic(harm.sc.structure, harm.phiHarm, B0, gamma);
    const m = harm.sc.structure.masses[0];
    const ev = eighValues(k, harm.phiHarm.map((x) => x / m), harm.phiHarm.length ** 0.5);
    expect(Math.abs(ev[2])).toBeLessThan(1e-8);
    w0 = Float64Array.from(ev.slice(3), (x) => Math.sqrt(x));
  });

  it('pressure at fixed cell: ionic term (1/Ω)ΣΦC exact; quantum (T = 0) and classical (3000 K) totals equal −dF/dΩ within errors', async () => {
    const s = harm.sc.structure;
    const sym = { symmetrizer: harm.symmetrizer, nTranslations: 3 };
    const V = s.volume;
    for (const T of [0, 3000]) {
      const ex = exactModel(w0, calc, T);
      const pop = samplePopulation(k, { structure: s, centroids: s.cartesian(), phi: harm.phiHarm, temperature: T, nConfigs: 400, seed: 5, index: 0 });
      await evaluatePopulation(pop, calc, s);
      const ws = new EnsembleWorkspace(k, pop, sym);
      const a = ws.averages(s.cartesian(), harm.phiHarm, T);
      ws.free();
      // (1/Ω) tr(ΦC)/3 = (1/3Ω) Σ_μ ω²A²; classical limit M k_BT/(3Ω)
      let ion = 0;
      for (let mu = 0; mu < a.omega.length; mu++) ion += (a.omega[mu] * a.amplitude[mu]) ** 2;
      ion /= 3 * V;
      const ionMean = (a.ionicPressure[0] + a.ionicPressure[4] + a.ionicPressure[8]) / 3;
      expect(Math.abs(ionMean - ion)).toBeLessThan(1e-12 * ion);
      expect(Math.max(...a.ionicPressureErr)).toBeLessThan(1e-14);
      const Pm = (a.pressure![0] + a.pressure![4] + a.pressure![8]) / 3;
      // the reported error is computed over antithetic pairs (the stress is even in u: the two
      // members of a pair are equal), see test/sscha/errors.test.ts
      const Perr = a.pressureErr![0];
      const z = (Pm - ex.P(V)) / Perr;
      const classical = (w0.length * KB * T) / (3 * V);
      console.log(
        `exact model T=${T}: P = ${(Pm * GPA).toFixed(4)} ± ${(Perr * GPA).toFixed(4)} GPa, exact −dF/dΩ = ${(ex.P(V) * GPA).toFixed(4)} GPa (${z.toFixed(2)}σ); ` +
          `ionic (1/Ω)ΣΦC/3 = ${(ion * GPA).toFixed(4)} GPa${T > 0 ? `, classical Mk_BT/3Ω = ${(classical * GPA).toFixed(4)} GPa` : ''}`,
      );
      expect(Math.abs(z)).toBeLessThan(3);
      expect(Math.abs(a.F - ex.F(V))).toBeLessThan(1e-10);
      if (T > 0) expect(Math.abs(ion / classical - 1)).toBeLessThan(0.01);
      // off-diagonal components vanish by the cubic symmetry
      expect(Math.abs(a.pressure![1])).toBeLessThan(1e-14);
    }
  });

  for (const T of [0, 300]) {
    it(`T = ${T} K: relaxes to P₀ = 3 GPa; volume and G agree with the closed-form solution`, async () => {
      const P0 = 3;
      const ex = exactModel(w0, calc, T);
      const t0 = performance.now();
      const res = await runSschaVariableCell({
        kernels: k, calculator: calc, supercell: harm.sc, symmetry: harm.symmetrizer, phi0: harm.phiHarm, T, pressure: P0, nConfigs: 200, seed: 17, maxPopulations: 15,
      });
      const ms = performance.now() - t0;
      const Vref = ex.volumeAt(P0 / GPA);
      const zP = (res.pressureScalar - P0) / res.pressureScalarErr;
      const zV = (res.volume - Vref) / res.volumeErr;
      const Gref = ex.F(res.volume) + (P0 / GPA) * res.volume;
      const PexactFinal = ex.P(res.volume) * GPA;
      console.log(
        `exact model T=${T}: ${res.populations.length} populations, ${ms.toFixed(0)} ms; P = ${res.pressureScalar.toFixed(4)} ± ${res.pressureScalarErr.toFixed(4)} GPa vs P₀ = ${P0} (${zP.toFixed(2)}σ); ` +
          `V = ${res.volume.toFixed(4)} ± ${res.volumeErr.toFixed(4)} Å³ vs exact ${Vref.toFixed(4)} (${zV.toFixed(2)}σ; V₀ = ${calc.V0.toFixed(3)}); ` +
          `exact P at the final V = ${PexactFinal.toFixed(4)} GPa; B = ${res.bulkModulus.toFixed(1)} GPa (${res.bulkModulusSource}); ` +
          `G = ${res.G.toFixed(6)} ± ${res.Gerr.toExponential(2)} vs exact G(V_final) ${Gref.toFixed(6)} eV; ` +
          `history V: ${res.cellHistory.map((r) => r.volume.toFixed(3)).join(' → ')}; step B (GPa): ${res.cellHistory.map((r) => r.bulkModulus?.toFixed(1) ?? '—').join(', ')}`,
      );
      expect(res.converged).toBe(true);
      for (let i = 0; i < 9; i++) expect(Math.abs(res.pressure[i] - (i % 4 === 0 ? P0 : 0))).toBeLessThanOrEqual(res.pressureErr[i]);
      expect(Math.abs(zV)).toBeLessThan(3);
      // the volume moved by much more than its error
      expect(Math.abs(res.volume - calc.V0)).toBeGreaterThan(10 * res.volumeErr);
      expect(Math.abs(res.G - Gref)).toBeLessThan(3 * res.Gerr + 1e-8);
      expect(res.GperAtom).toBeCloseTo(res.G / 8, 12);
      // cubic stays cubic
      const c = res.cell;
      expect(Math.abs(c[1]) + Math.abs(c[2]) + Math.abs(c[3]) + Math.abs(c[5]) + Math.abs(c[6]) + Math.abs(c[7])).toBeLessThan(1e-12);
      expect(Math.abs(c[0] - c[4]) + Math.abs(c[0] - c[8])).toBeLessThan(1e-12);
      expect(res.unitCell![0]).toBeCloseTo(c[0] / 2, 12);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// (b) anharmonic bond network

describe('variable cell: anharmonic simple-cubic bond network', () => {
  for (const T of [0, 300]) {
    it(`T = ${T} K: relaxes to P₀ = 2 GPa within errors; G reported; G below the start`, async () => {
      const P0 = 2;
      const res = await runSschaVariableCell({
        kernels: k, calculator: anh.calc, supercell: anh.sc, symmetry: anh.symmetrizer, phi0: anh.phiHarm, T, pressure: P0, nConfigs: 200, seed: 3, maxPopulations: 15,
      });
      const zP = (res.pressureScalar - P0) / res.pressureScalarErr;
      const first = res.cellHistory[0];
      console.log(
        `bond network T=${T}: ${res.populations.length} populations; P = ${res.pressureScalar.toFixed(4)} ± ${res.pressureScalarErr.toFixed(4)} GPa (${zP.toFixed(2)}σ); ` +
          `V = ${res.volumePerAtom.toFixed(4)} ± ${res.volumePerAtomErr.toFixed(4)} Å³/atom (V₀ = ${(SC_A ** 3).toFixed(4)}), a = ${res.unitCell![0].toFixed(5)} Å; ` +
          `G = ${res.GperAtom.toFixed(6)} ± ${res.GperAtomErr.toExponential(2)} eV/atom (start ${(first.G / 8).toFixed(6)}); F = ${(res.F / 8).toFixed(6)} eV/atom; ` +
          `B = ${res.bulkModulus.toFixed(1)} GPa (${res.bulkModulusSource}); P history ${res.cellHistory.map((r) => r.pressureScalar.toFixed(3)).join(', ')}`,
      );
      expect(res.converged).toBe(true);
      for (let i = 0; i < 9; i++) expect(Math.abs(res.pressure[i] - (i % 4 === 0 ? P0 : 0))).toBeLessThanOrEqual(res.pressureErr[i]);
      // G = F + P₀Ω
      expect(res.G).toBeCloseTo(res.F + (P0 / GPA) * res.volume, 12);
      expect(res.G).toBeLessThan(first.G + 3 * Math.hypot(first.Ferr, res.Ferr));
      expect(res.structure.volume).toBeCloseTo(res.volume, 10);
      // compressed by ~P₀/B (the ionic pressure pushes the other way)
      expect(res.volume).toBeLessThan(anh.sc.structure.volume);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// (c) fixed-volume and fixed-shape

describe('variable cell: fixed-volume and fixed-shape variants', () => {
  const stretch = 1.04;
  let setup: { sc: ReturnType<typeof makeSupercell>; symmetrizer: Symmetrizer; calc: BondNetworkCalculator };
  beforeAll(() => {
    const unit = simpleCubic();
    const tet = new Structure({ cell: [SC_A, 0, 0, 0, SC_A, 0, 0, 0, stretch * SC_A], species: ['Ar'], frac: [0, 0, 0], masses: [20] });
    const sc = makeSupercell(tet, [2, 2, 2]);
    const ds = analyzeSymmetry(tet);
    const ops = supercellOperations(sc.structure, ds.operations, Array.from(sc.matrix), ds.mapTolerance);
    const symmetrizer = new Symmetrizer(sc.structure.cell, ops);
    expect(symmetrizer.order).toBe(16 * 8);
    // the bond topology of the cubic crystal, evaluated on the strained cell
    const calc = new BondNetworkCalculator(k, SC_POT(-8, 60) as never, makeSupercell(unit, [2, 2, 2]).structure);
    setup = { sc, symmetrizer, calc };
  });

  it('fixed-volume: volume exactly kept, deviatoric pressure relaxed (c/a → 1)', async () => {
    const V = setup.sc.structure.volume;
    const res = await runSschaVariableCell({
      kernels: k, calculator: setup.calc, supercell: setup.sc, symmetry: setup.symmetrizer, phi0: anh.phiHarm, T: 300, pressure: 0, cellMode: 'fixed-volume',
      nConfigs: 200, seed: 8, maxPopulations: 15,
    });
    const c = res.cell;
    const ca = c[8] / c[0];
    const first = res.cellHistory[0];
    const dev = (r: { pressure: Float64Array }) => r.pressure[8] - 0.5 * (r.pressure[0] + r.pressure[4]);
    console.log(
      `fixed-volume: ${res.populations.length} populations; c/a ${stretch} → ${ca.toFixed(5)}; V/V_start − 1 = ${(res.volume / V - 1).toExponential(2)}; ` +
        `P_zz − P_xx: ${dev(first).toFixed(3)} → ${dev(res).toFixed(4)} ± ${(res.pressureErr[8] + res.pressureErr[0]).toFixed(4)} GPa; p = ${res.pressureScalar.toFixed(3)} GPa`,
    );
    expect(res.converged).toBe(true);
    expect(Math.abs(res.volume / V - 1)).toBeLessThan(1e-12);
    expect(res.volumeErr).toBe(0);
    for (const r of res.cellHistory) expect(Math.abs(r.volume / V - 1)).toBeLessThan(1e-12);
    const p = res.pressureScalar;
    for (let i = 0; i < 9; i++) expect(Math.abs(res.pressure[i] - (i % 4 === 0 ? p : 0))).toBeLessThanOrEqual(res.pressureErr[i]);
    expect(Math.abs(ca - 1)).toBeLessThan(0.005);
    // tetragonal symmetry kept: a = b, no shear
    expect(Math.abs(c[0] - c[4])).toBeLessThan(1e-12);
    expect(Math.abs(c[1]) + Math.abs(c[2]) + Math.abs(c[5])).toBeLessThan(1e-12);
    expect(Math.abs(dev(first))).toBeGreaterThan(1);
  });

  it('fixed-shape: cell only scaled (c/a kept), tr P/3 = P₀ within errors', async () => {
    const c0 = setup.sc.structure.cell;
    const res = await runSschaVariableCell({
      kernels: k, calculator: setup.calc, supercell: setup.sc, symmetry: setup.symmetrizer, phi0: anh.phiHarm, T: 300, pressure: 1, cellMode: 'fixed-shape',
      nConfigs: 200, seed: 9, maxPopulations: 15,
    });
    const s = res.cell[0] / c0[0];
    console.log(
      `fixed-shape: ${res.populations.length} populations; scale ${s.toFixed(6)}; p = ${res.pressureScalar.toFixed(4)} ± ${res.pressureScalarErr.toFixed(4)} GPa; ` +
        `deviatoric P_zz − P_xx = ${(res.pressure[8] - res.pressure[0]).toFixed(3)} GPa (not relaxed)`,
    );
    expect(res.converged).toBe(true);
    for (let i = 0; i < 9; i++) expect(Math.abs(res.cell[i] - s * c0[i])).toBeLessThan(1e-12);
    expect(Math.abs(s - 1)).toBeGreaterThan(1e-3);
    expect(Math.abs(res.pressureScalar - 1)).toBeLessThanOrEqual(res.pressureScalarErr);
    expect(Math.abs(res.pressure[8] - res.pressure[0])).toBeGreaterThan(1);
  });
});

// ---------------------------------------------------------------------------------------------
// (d) impossible pressures

describe('variable cell: impossible pressure', () => {
  it('a crystal pulled apart (P₀ = −40 GPa beyond the bonds\' strength) ends with a clear error and the partial results', async () => {
    const weak = await crystalCase(k, simpleCubic(), SC_POT(-8, 0), [2, 2, 2]);
    let err: unknown = null;
    try {
      await runSschaVariableCell({
        kernels: k, calculator: weak.calc, supercell: weak.sc, symmetry: weak.symmetrizer, phi0: weak.phiHarm, T: 0, pressure: -40, nConfigs: 100, seed: 2,
        maxPopulations: 20, maxVolumeChange: 1.5,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VariableCellError);
    const e = err as VariableCellError;
    console.log(`impossible pressure: ${e.message}`);
    expect(e.message).toMatch(/impossible pressure.*exploding/);
    const part = e.partial as VariableCellPartial;
    expect(part.populations.length).toBeGreaterThan(1);
    expect(part.cellHistory.length).toBe(part.populations.length);
    expect(part.populations.every((p) => p.evaluated === p.nConfigs)).toBe(true);
    // volumes grew monotonically
    for (let i = 1; i < part.cellHistory.length; i++) expect(part.cellHistory[i].volume).toBeGreaterThan(part.cellHistory[i - 1].volume);
  });

  it('an engine failing on the strained cell gives the error with the populations so far', async () => {
    const V0 = anh.sc.structure.volume;
    const failing: Calculator = {
      name: 'fails-when-stretched',
      async compute(structures, o) {
        if (structures[0].volume > 1.08 * V0) throw new CalculatorError('cannot converge the electronic structure', 0);
        return anh.calc.compute(structures, o);
      },
    };
    let err: unknown = null;
    try {
      await runSschaVariableCell({
        kernels: k, calculator: failing, supercell: anh.sc, symmetry: anh.symmetrizer, phi0: anh.phiHarm, T: 0, pressure: -20, nConfigs: 100, seed: 2, maxPopulations: 20,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VariableCellError);
    const e = err as VariableCellError;
    console.log(`engine failure: ${e.message}`);
    expect(e.message).toMatch(/engine failed on the strained cell.*cannot converge/);
    expect(e.partial!.populations.length).toBeGreaterThan(1);
    expect(e.partial!.cellHistory.length).toBe(e.partial!.populations.length - 1);
    expect(e.partial!.populations[e.partial!.populations.length - 1].evaluated).toBe(0);
  });
});
