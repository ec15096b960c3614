// Exact checks of the phonon pipeline: spring networks with analytic force constants, commensurate q
// against the supercell, the acoustic sum rule, Hermiticity and time reversal, thermodynamic limits.
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinCalculator } from '../../src/calculators/builtin.js';
import { eigh } from '../../src/linalg/eigh.js';
import { loadKernels } from '../../src/node/kernels.js';
import { loadMoyo } from '../../src/node/moyo.js';
import {
  computeForceConstants, DynamicalMatrix, HarmonicCalculator, meshModes, PhononError, planDisplacements, temperatureRange, thermalProperties,
  densityOfStates, THZ_TO_EV, KB, TAU_INV_TO_THZ, type ForceConstants,
} from '../../src/phonons/index.js';
import { makeSupercell } from '../../src/structure/supercell.js';
import { Structure } from '../../src/structure/structure.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { maxAbsDiff } from '../helpers/arrays.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
  loadMoyo();
});

/**
 * Analytic supercell force constants of central springs: for every pair (i, j ≠ i or an image of i)
 * at distance r within a shell, Φ_ij −= k r̂r̂ᵀ and Φ_ii += k r̂r̂ᵀ (all periodic images summed).
 */
function springForceConstants(s: Structure, shells: { r: number; k: (a: string, b: string) => number }[]): Float64Array {
  const n = s.natoms, n3 = 3 * n;
  const phi = new Float64Array(n3 * n3);
  const x = s.cartesian();
  const c = s.cell;
  const rmax = Math.max(...shells.map((sh) => sh.r)) + 1e-6;
  const R = 3;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let a = -R; a <= R; a++)
        for (let b = -R; b <= R; b++)
          for (let cc = -R; cc <= R; cc++) {
            const d = [0, 1, 2].map((q) => x[3 * j + q] + a * c[q] + b * c[3 + q] + cc * c[6 + q] - x[3 * i + q]);
            const r = Math.hypot(d[0], d[1], d[2]);
            if (r < 1e-8 || r > rmax) continue;
            const sh = shells.find((h) => Math.abs(h.r - r) < 1e-6);
            if (!sh) continue;
            const kk = sh.k(s.species[i], s.species[j]);
            for (let p = 0; p < 3; p++)
              for (let q = 0; q < 3; q++) {
                const v = (kk * d[p] * d[q]) / (r * r);
                phi[(3 * i + p) * n3 + 3 * j + q] -= v;
                phi[(3 * i + p) * n3 + 3 * i + q] += v;
              }
          }
  return phi;
}

async function springCase(unit: Structure, n: number[], shells: { r: number; k: (a: string, b: string) => number }[]) {
  const sc = makeSupercell(unit, n);
  const exact = springForceConstants(sc.structure, shells);
  const calc = new HarmonicCalculator(sc.structure, exact);
  const fc = await computeForceConstants(calc, unit, n);
  return { exact, fc, dm: new DynamicalMatrix(k, fc) };
}

describe('harmonic spring networks (analytic force constants)', () => {
  const a = 3.1, m = 40, kNN = 2.5;
  const sc1 = () => new Structure({ cell: [a, 0, 0, 0, a, 0, 0, 0, a], species: ['Ar'], frac: [0, 0, 0], masses: [m] });

  it('simple cubic, nearest-neighbour springs: Φ reconstructed exactly and ν_α(q) = √(2k(1 − cos 2πq_α)/m) at any q', async () => {
    for (const n of [[2, 2, 2], [3, 3, 3]]) {
      const { exact, fc, dm } = await springCase(sc1(), n, [{ r: a, k: () => kNN }]);
      expect(fc.plan.displacements.length).toBe(1); // Oh site symmetry: one direction, −d by inversion
      expect(maxAbsDiff(fc.phi, exact)).toBeLessThan(1e-10);
      for (const q of [[0.1, 0.27, 0.43], [0.5, 0, 0.25], [-0.31, 0.77, 0.05], [1 / 3, 1 / 3, 1 / 3]]) {
        const want = q.map((x) => Math.sqrt((2 * kNN * (1 - Math.cos(2 * Math.PI * x))) / m) * TAU_INV_TO_THZ).sort((x, y) => x - y);
        expect(maxAbsDiff(dm.frequencies(q), want)).toBeLessThan(1e-9);
      }
    }
  });

  it('CsCl binary with ⟨111⟩ A–B and ⟨100⟩ A–A / B–B springs: Φ(q) equals the closed form, optical ω² at Γ = (8k₁/3)(1/m_A + 1/m_B)', async () => {
    const b = 3.3, mA = 63.546, mB = 58.6934, k1 = 1.7, kAA = 0.6, kBB = 0.9;
    const unit = new Structure({ cell: [b, 0, 0, 0, b, 0, 0, 0, b], species: ['Cu', 'Ni'], frac: [0, 0, 0, 0.5, 0.5, 0.5] });
    expect(Array.from(unit.masses)).toEqual([mA, mB]);
    const { exact, fc, dm } = await springCase(unit, [2, 2, 2], [
      { r: (b * Math.sqrt(3)) / 2, k: () => k1 },
      { r: b, k: (x) => (x === 'Cu' ? kAA : kBB) },
    ]);
    expect(maxAbsDiff(fc.phi, exact)).toBeLessThan(1e-10);
    for (const q of [[0, 0, 0], [0.13, 0.29, 0.41], [0.5, 0.5, 0.5], [0.5, 0, 0], [0.2, -0.35, 0.6]]) {
      // closed form, interleaved complex 6×6
      const want = new Float64Array(72);
      const set = (r: number, c: number, re: number, im: number) => {
        want[2 * (r * 6 + c)] += re;
        want[2 * (r * 6 + c) + 1] += im;
      };
      for (let al = 0; al < 3; al++) {
        const cq = 1 - Math.cos(2 * Math.PI * q[al]);
        set(al, al, 2 * kAA * cq + (8 * k1) / 3, 0);
        set(3 + al, 3 + al, 2 * kBB * cq + (8 * k1) / 3, 0);
      }
      for (let l = 0; l < 8; l++) {
        const L = [-(l & 1), -((l >> 1) & 1), -((l >> 2) & 1)];
        const s = L.map((x) => 2 * (0.5 + x));
        const ph = 2 * Math.PI * (q[0] * L[0] + q[1] * L[1] + q[2] * L[2]);
        for (let al = 0; al < 3; al++)
          for (let be = 0; be < 3; be++) {
            const v = (-k1 * s[al] * s[be]) / 3;
            set(al, 3 + be, v * Math.cos(ph), v * Math.sin(ph));
            set(3 + be, al, v * Math.cos(ph), -v * Math.sin(ph));
          }
      }
      expect(maxAbsDiff(dm.forceConstantMatrix(q), want)).toBeLessThan(1e-10);
    }
    const g = dm.frequencies([0, 0, 0]);
    const opt = Math.sqrt(((8 * k1) / 3) * (1 / mA + 1 / mB)) * TAU_INV_TO_THZ;
    expect(maxAbsDiff(g.subarray(3), [opt, opt, opt])).toBeLessThan(1e-9);
    expect(maxAbsDiff(g.subarray(0, 3), [0, 0, 0])).toBeLessThan(1e-6);
  });

  it('imaginary modes: thermodynamics refuse with a clear message unless asked to skip them', async () => {
    // nearest-neighbour springs of negative stiffness: every mode away from Γ is imaginary
    const { dm } = await springCase(sc1(), [2, 2, 2], [{ r: a, k: () => -1 }]);
    const modes = meshModes(dm, [4, 4, 4]);
    expect(() => thermalProperties(modes, [300])).toThrow(PhononError);
    expect(() => thermalProperties(modes, [300])).toThrow(/imaginary or zero frequency \(lowest -\d+\.\d+ THz at q = .*\).*undefined.*skipImaginary/);
    const th = thermalProperties(modes, [0, 300], { skipImaginary: true });
    expect(th.skipped).toBeGreaterThan(0);
    expect(th.skipped + th.modesUsed + th.acousticExcluded).toBe(64 * 3);
    expect(Number.isFinite(th.freeEnergy[1])).toBe(true);
  });
});

describe('Lennard-Jones fcc argon and a two-species hexagonal Morse crystal', () => {
  const cases: { name: string; fc?: ForceConstants; dm?: DynamicalMatrix }[] = [{ name: 'fcc-ar-lj' }, { name: 'hex-cuni-morse' }];
  beforeAll(async () => {
    const a = 5.26;
    const ar = new Structure({ cell: [0, a / 2, a / 2, a / 2, 0, a / 2, a / 2, a / 2, 0], species: ['Ar'], frac: [0, 0, 0] });
    const lj = { type: 'lennard-jones', pairs: [{ species: ['Ar', 'Ar'], epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 }] };
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
    cases[0].fc = await computeForceConstants(builtinCalculator(k, lj), ar, [3, 3, 3]);
    cases[1].fc = await computeForceConstants(builtinCalculator(k, morse), hex, [3, 3, 2]);
    for (const cs of cases) cs.dm = new DynamicalMatrix(k, cs.fc!);
  });

  it('interpolation reproduces the supercell frequencies exactly at the commensurate q', () => {
    for (const { fc, dm } of cases) {
      const sc = fc!.supercell;
      const N = sc.structure.natoms, n3 = 3 * N;
      const d = new Float64Array(n3 * n3);
      for (let i = 0; i < n3; i++)
        for (let j = 0; j < n3; j++) d[i * n3 + j] = fc!.phi[i * n3 + j] / Math.sqrt(sc.structure.masses[Math.floor(i / 3)] * sc.structure.masses[Math.floor(j / 3)]);
      const direct = Array.from(eigh(k, d, n3).values);
      const folded: number[] = [];
      const M = sc.matrix;
      for (let a = 0; a < M[0]; a++)
        for (let b = 0; b < M[4]; b++)
          for (let c = 0; c < M[8]; c++) folded.push(...dm!.eigen([a / M[0], b / M[4], c / M[8]]).values);
      folded.sort((x, y) => x - y);
      const scale = Math.max(...direct.map(Math.abs));
      expect(maxAbsDiff(folded, direct) / scale).toBeLessThan(1e-12);
    }
  });

  it('a non-diagonal supercell matrix (fcc primitive → 2× conventional cube, 32 atoms) also folds exactly', async () => {
    const unit = cases[0].fc!.primitive;
    const M = [-2, 2, 2, 2, -2, 2, 2, 2, -2];
    const lj = { type: 'lennard-jones', pairs: [{ species: ['Ar', 'Ar'], epsilon: 0.0104, sigma: 3.4, cutoff: 8.5 }] };
    const fc = await computeForceConstants(builtinCalculator(k, lj), unit, M);
    const dm = new DynamicalMatrix(k, fc);
    const sc = fc.supercell;
    expect(sc.structure.natoms).toBe(32);
    const N = sc.structure.natoms, n3 = 3 * N;
    const direct = Array.from(eigh(k, fc.phi.map((x) => x / unit.masses[0]), n3).values);
    // commensurate q: M q ∈ ℤ³, i.e. q = M⁻¹ z (mod 1)
    const Mi = [0, 1, 2].map((r) => [0, 1, 2].map((c) => (r === c ? 0 : 0.25))); // M⁻¹ = ¼[[0,1,1],[1,0,1],[1,1,0]]
    const seen = new Map<string, number[]>();
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++)
        for (let c = 0; c < 4; c++) {
          const q = Mi.map((row) => row[0] * a + row[1] * b + row[2] * c).map((x) => x - Math.floor(x + 1e-9));
          seen.set(q.map((x) => x.toFixed(6)).join(','), q);
        }
    expect(seen.size).toBe(32);
    const folded = [...seen.values()].flatMap((q) => Array.from(dm.eigen(q).values)).sort((x, y) => x - y);
    expect(maxAbsDiff(folded, direct) / Math.max(...direct)).toBeLessThan(1e-12);
  });

  it('acoustic frequencies vanish at Γ after the sum rule (≤ 1e-6 THz) and are found by index', () => {
    for (const { dm } of cases) {
      const e = dm!.eigen([0, 0, 0]);
      const ac = dm!.acousticIndices(e);
      expect(ac).toEqual([0, 1, 2]);
      for (const j of ac) expect(Math.abs(Math.sign(e.values[j]) * Math.sqrt(Math.abs(e.values[j])) * TAU_INV_TO_THZ)).toBeLessThan(1e-6);
      // the sum rule itself on the supercell matrix
      const fc = dm!.forceConstants;
      const n3 = fc.phi.length ** 0.5;
      let worst = 0;
      for (let r = 0; r < n3; r++)
        for (let be = 0; be < 3; be++) {
          let s = 0;
          for (let j = be; j < n3; j += 3) s += fc.phi[r * n3 + j];
          worst = Math.max(worst, Math.abs(s));
        }
      expect(worst).toBeLessThan(1e-12);
    }
  });

  it('Φ(q) is Hermitian before it is made so, Φ(−q) = Φ(q)*, and Φ(q) is real at q ≡ −q', () => {
    for (const { dm } of cases) {
      const n3 = 3 * dm!.natoms;
      for (const q of [[0.123, 0.456, 0.789], [0.31, -0.2, 0.05]]) {
        const raw = dm!.forceConstantMatrix(q, { raw: true });
        const scale = Math.max(...raw.map(Math.abs));
        let herm = 0;
        for (let r = 0; r < n3; r++)
          for (let c = 0; c < n3; c++) {
            herm = Math.max(herm, Math.abs(raw[2 * (r * n3 + c)] - raw[2 * (c * n3 + r)]), Math.abs(raw[2 * (r * n3 + c) + 1] + raw[2 * (c * n3 + r) + 1]));
          }
        expect(herm / scale).toBeLessThan(1e-13);
        const p = dm!.forceConstantMatrix(q), m = dm!.forceConstantMatrix(q.map((x) => -x));
        for (let i = 0; i < p.length; i += 2) {
          expect(Math.abs(p[i] - m[i])).toBeLessThan(1e-12 * scale);
          expect(Math.abs(p[i + 1] + m[i + 1])).toBeLessThan(1e-12 * scale);
        }
      }
      const x = dm!.forceConstantMatrix([0.5, 0, 0.5]);
      for (let i = 1; i < x.length; i += 2) expect(Math.abs(x[i])).toBe(0);
    }
  });

  it('thermodynamics: F(0) = zero-point energy, S(0) = 0, classical C_V = k_B per mode, DOS integrates to 3n', () => {
    for (const { dm } of cases) {
      const modes = meshModes(dm!, [6, 6, 6]);
      const th = thermalProperties(modes, temperatureRange(0, 20000, 10000));
      expect(th.freeEnergy[0]).toBeCloseTo(th.zeroPointEnergy, 14);
      expect(th.entropy[0]).toBe(0);
      // classical limit: every one of the (3n·N_q − 3) modes gives k_B
      const nq = 216, n3 = 3 * dm!.natoms;
      const classical = (KB * (n3 * nq - 3)) / nq;
      expect(Math.abs(th.heatCapacity[2] - classical) / classical).toBeLessThan(1e-3);
      // ZPE = Σ hν/2 / N_q
      let zpe = 0;
      modes.frequencies.forEach((nu, i) => {
        if (!modes.acoustic.includes(i)) zpe += (nu * THZ_TO_EV) / 2;
      });
      expect(th.zeroPointEnergy).toBeCloseTo(zpe / nq, 14);
      const dos = densityOfStates(modes, { sigma: 0.05, min: -1, max: 15, step: 0.01 });
      let integral = 0;
      for (const g of dos.dos) integral += g * 0.01;
      expect(integral).toBeCloseTo(n3, 6);
    }
  });

  it('displacement plans: one +d for fcc, one +d per site for the hexagonal binary; amplitude honoured', () => {
    const fcc = cases[0].fc!.primitive, hex = cases[1].fc!.primitive;
    const p1 = planDisplacements(fcc, [3, 3, 3], { amplitude: 0.02 });
    expect(p1.displacements.length).toBe(1);
    expect(Math.hypot(...p1.displacements[0].vector)).toBeCloseTo(0.02, 14);
    expect(planDisplacements(fcc, [3, 3, 3], { plusMinus: 'always' }).displacements.length).toBe(2);
    const p2 = planDisplacements(hex, [3, 3, 2]);
    expect(p2.displacements.map((d) => p2.supercell.prim[d.atom])).toEqual([0, 1]);
    expect(() => planDisplacements(fcc, [3, 3, 3], { amplitude: -1 })).toThrow(/amplitude must be positive/);
  });
});
