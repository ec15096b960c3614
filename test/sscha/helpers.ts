// Shared models for the SSCHA tests: an on-site anharmonic oscillator (pinned, n_t = 0), engines
// that fail on purpose, and small crystals of the anharmonic bond network with their symmetry.
import { CalculatorError, type CalcOptions, type CalcResult, type Calculator } from '../../src/calculators/calculator.js';
import { BondNetworkCalculator } from '../../src/calculators/bond-network.js';
import { computeForceConstants } from '../../src/phonons/force-constants.js';
import { Structure } from '../../src/structure/structure.js';
import { makeSupercell, type Supercell } from '../../src/structure/supercell.js';
import { analyzeSymmetry } from '../../src/symmetry/analyze.js';
import { supercellOperations } from '../../src/symmetry/operations.js';
import { Symmetrizer } from '../../src/symmetry/symmetrize.js';
import type { Kernels } from '../../src/wasm/kernels.js';

export const HBAR = 0.0646541513;
export const KB = 8.617333262e-5;

/**
 * V = Σ_atoms Σ_α [½k u_α² + (c/6) u_α³ + g u_α⁴], u = x − x_ref (minimum image): independent 1-D
 * oscillators on every Cartesian component (no translation invariance: n_t = 0).
 */
export class OnSiteCalculator implements Calculator {
  readonly name = 'on-site';
  constructor(
    readonly reference: Structure,
    readonly k: number,
    readonly g: number,
    readonly c = 0,
  ) {}
  async compute(structures: readonly Structure[], _options: CalcOptions = {}): Promise<CalcResult[]> {
    const ref = this.reference.frac, cell = this.reference.cell;
    return structures.map((s) => {
      const n = s.natoms;
      const f = new Float64Array(3 * n);
      let e = 0;
      for (let i = 0; i < n; i++) {
        const d = [0, 1, 2].map((q) => {
          const x = s.frac[3 * i + q] - ref[3 * i + q];
          return x - Math.round(x);
        });
        for (let a = 0; a < 3; a++) {
          const u = d[0] * cell[a] + d[1] * cell[3 + a] + d[2] * cell[6 + a];
          e += 0.5 * this.k * u * u + (this.c / 6) * u * u * u + this.g * u * u * u * u;
          f[3 * i + a] = -(this.k * u + 0.5 * this.c * u * u + 4 * this.g * u * u * u);
        }
      }
      return { energy: e, forces: f };
    });
  }
}

/** Self-consistent SCHA of V = ½kx² + gx⁴, mass m, at T (physics.md 5.15.2), by fixed-point iteration. */
export function quarticScha(k: number, g: number, m: number, T: number): { omega: number; x2: number; F: number } {
  let w = Math.sqrt(k / m);
  let x2 = 0;
  for (let it = 0; it < 10000; it++) {
    x2 = T > 0 ? (HBAR / (2 * m * w)) / Math.tanh((HBAR * w) / (2 * KB * T)) : HBAR / (2 * m * w);
    const wn = Math.sqrt((k + 12 * g * x2) / m);
    if (Math.abs(wn - w) < 1e-15 * w) {
      w = wn;
      break;
    }
    w = 0.5 * (w + wn);
  }
  x2 = T > 0 ? (HBAR / (2 * m * w)) / Math.tanh((HBAR * w) / (2 * KB * T)) : HBAR / (2 * m * w);
  const F = (HBAR * w) / 2 + (T > 0 ? KB * T * Math.log(1 - Math.exp((-HBAR * w) / (KB * T))) : 0) + 0.5 * k * x2 + 3 * g * x2 * x2 - 0.5 * m * w * w * x2;
  return { omega: w, x2, F };
}

/** One atom in a large cubic box. */
export function boxAtom(mass: number, L = 20): Structure {
  return new Structure({ cell: [L, 0, 0, 0, L, 0, 0, 0, L], species: ['H'], frac: [0.5, 0.5, 0.5], masses: [mass] });
}

/** Rock salt (primitive fcc, 2 atoms) with nearest-neighbour anharmonic bonds. */
export const ROCKSALT_A = 5.64;
export function rockSalt(a = ROCKSALT_A): Structure {
  const h = a / 2;
  return new Structure({ cell: [0, h, h, h, 0, h, h, h, 0], species: ['Na', 'Cl'], frac: [0, 0, 0, 0.5, 0.5, 0.5] });
}
export const BOND_POT = (k3: number, k4: number) => ({
  type: 'bond-network',
  tolerance: 0.1,
  bonds: [
    { species: ['Na', 'Cl'], d0: ROCKSALT_A / 2, k2: 2.0, k3, k4 },
    { species: ['Na', 'Na'], d0: ROCKSALT_A / Math.SQRT2, k2: 0.3 },
    { species: ['Cl', 'Cl'], d0: ROCKSALT_A / Math.SQRT2, k2: 0.3 },
  ],
});

/** Simple cubic (1 atom) with nearest- and next-nearest-neighbour bonds. */
export const SC_A = 2.8;
export function simpleCubic(a = SC_A): Structure {
  return new Structure({ cell: [a, 0, 0, 0, a, 0, 0, 0, a], species: ['Ar'], frac: [0, 0, 0], masses: [20] });
}
export const SC_POT = (k3: number, k4: number) => ({
  type: 'bond-network',
  tolerance: 0.1,
  bonds: [
    { species: ['Ar', 'Ar'], d0: SC_A, k2: 3.0, k3, k4 },
    { species: ['Ar', 'Ar'], d0: SC_A * Math.SQRT2, k2: 0.5 },
  ],
});

export interface CrystalCase {
  unit: Structure;
  sc: Supercell;
  symmetrizer: Symmetrizer;
  calc: BondNetworkCalculator;
  /** Harmonic force constants of the engine at the reference (finite differences, symmetrised, ASR). */
  phiHarm: Float64Array;
}

export async function crystalCase(k: Kernels, unit: Structure, pot: unknown, n: number[]): Promise<CrystalCase> {
  const sc = makeSupercell(unit, n);
  const ds = analyzeSymmetry(unit);
  const ops = supercellOperations(sc.structure, ds.operations, Array.from(sc.matrix), ds.mapTolerance);
  const symmetrizer = new Symmetrizer(sc.structure.cell, ops);
  const calc = new BondNetworkCalculator(k, pot as never, sc.structure);
  const fc = await computeForceConstants(calc, unit, n);
  return { unit, sc, symmetrizer, calc, phiHarm: fc.phi };
}

export const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};
export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/**
 * Exactly solvable crystal for pressure tests: E = ½B₀(Ω − Ω₀)²/Ω₀ + ½ s(Ω) uᵀΦ₁u, s = (Ω₀/Ω)^{2γ},
 * with forces and the tensile-positive stress at fixed fractional coordinates.
 */
export class VolumeHarmonic implements Calculator {
  readonly name = 'volume-harmonic';
  readonly V0: number;
  constructor(
    readonly reference: Structure,
    readonly phi1: Float64Array,
    readonly B0: number, // eV/Å³
    readonly gamma: number,
  ) {
    this.V0 = reference.volume;
  }
  scale(V: number): number {
    return (this.V0 / V) ** (2 * this.gamma);
  }
  async compute(structures: readonly Structure[], _o: CalcOptions = {}): Promise<CalcResult[]> {
    const ref = this.reference.frac;
    return structures.map((s) => {
      const n = s.natoms, n3 = 3 * n, c = s.cell, V = s.volume;
      const u = new Float64Array(n3);
      for (let i = 0; i < n; i++) {
        const d = [0, 1, 2].map((q) => {
          const x = s.frac[3 * i + q] - ref[3 * i + q];
          return x - Math.round(x);
        });
        for (let a = 0; a < 3; a++) u[3 * i + a] = d[0] * c[a] + d[1] * c[3 + a] + d[2] * c[6 + a];
      }
      const pu = new Float64Array(n3);
      let q = 0;
      for (let r = 0; r < n3; r++) {
        let acc = 0;
        for (let j = 0; j < n3; j++) acc += this.phi1[r * n3 + j] * u[j];
        pu[r] = acc;
        q += acc * u[r];
      }
      const sc = this.scale(V);
      const dsc = (-2 * this.gamma * sc) / V;
      const energy = (0.5 * this.B0 * (V - this.V0) ** 2) / this.V0 + 0.5 * sc * q;
      const forces = pu.map((x) => -sc * x);
      // σ = (1/Ω)∂E/∂ε at fixed fractional coordinates (u → (𝟙+ε)u)
      const iso = (this.B0 * (V - this.V0)) / this.V0 + 0.5 * dsc * q;
      const stress = new Float64Array(9);
      for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++) {
          let t = 0;
          for (let i = 0; i < n; i++) t += 0.5 * (pu[3 * i + a] * u[3 * i + b] + pu[3 * i + b] * u[3 * i + a]);
          stress[3 * a + b] = (a === b ? iso : 0) + (sc / V) * t;
        }
      return { energy, forces, stress };
    });
  }
}

/**
 * Counts configurations; fails (with `makeError('engine died')`, a CalculatorError by default) once
 * more than `dieAfter` would have been evaluated: an engine dying mid-population.
 */
export class FlakyCalculator implements Calculator {
  readonly name: string;
  evaluations = 0;
  constructor(
    readonly inner: Calculator,
    readonly dieAfter = Infinity,
    readonly makeError: (message: string) => Error = (m) => new CalculatorError(m),
  ) {
    this.name = inner.name;
  }
  async compute(structures: readonly Structure[], options?: CalcOptions): Promise<CalcResult[]> {
    if (this.evaluations + structures.length > this.dieAfter) throw this.makeError('engine died');
    this.evaluations += structures.length;
    return this.inner.compute(structures, options);
  }
}
