// Anharmonic bond network on a fixed topology (kernel: assembly/potentials/bond-network.ts):
//   E = sum_b k2/2 u^2 + k3/6 u^3 + k4/24 u^4,   u = |r_b| - d0(type of b)
// The bonds are found ONCE in the reference structure: every pair, periodic images included, whose
// reference distance is within `tolerance` of the d0 of a bond type of its species pair (the closest
// d0 wins). Each bond is stored as (i, j, integer lattice shift S, type) with r_b = x_j + S·cell − x_i
// and never rebuilt: under strain the shift stays in lattice units, so the strain acts on every bond.
// Atoms are taken at the image nearest their reference position, so the model assumes that atoms stay
// within half a lattice vector of the reference (true for lattice dynamics).
//
// Potential file (JSON):
//   { "type": "bond-network",
//     "tolerance": 0.1,                         // optional (Å), default 0.1
//     "bonds": [ { "species": ["Si", "Si"], "d0": 2.35, "k2": 10.0, "k3": -30.0, "k4": 100.0 } ] }
// k2 (eV/Å²), k3 (eV/Å³), k4 (eV/Å⁴); k3 and k4 default to 0. Several bond types may share a species
// pair (e.g. first and second neighbours) if their d0 differ by more than 2 tolerance.
import type { Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import { neighborPairs } from '../neighbors/neighbor-list.js';
import type { F64Buffer, I32Buffer } from '../wasm/kernels.js';
import { type CalcOptions, type CalcResult, type Calculator, CalculatorError } from './calculator.js';
import {
  type Json, PotentialError, ST_OVERLAP, arrayField, checkType, isObject, noExtraKeys, num, optNum, runBatch, speciesTuple,
} from './wasm-calculator.js';

export interface BondType {
  species: [string, string];
  d0: number;
  k2: number;
  k3?: number;
  k4?: number;
}

export interface BondNetworkParams {
  type: 'bond-network';
  tolerance?: number;
  bonds: BondType[];
}

export function parseBondNetwork(obj: unknown, source = 'potential'): BondNetworkParams {
  const o = checkType(obj, 'bond-network', source);
  noExtraKeys(o, ['type', 'tolerance', 'bonds', 'comment'], source);
  const tolerance = optNum(o, 'tolerance', source, 0.1, { positive: true });
  const bonds = arrayField(o, 'bonds', source).map((b, q) => {
    const where = `${source}: bonds[${q}]`;
    if (!isObject(b)) throw new PotentialError(`${where} must be an object`);
    noExtraKeys(b, ['species', 'd0', 'k2', 'k3', 'k4'], where);
    return {
      species: speciesTuple(b, where, 2) as [string, string],
      d0: num(b, 'd0', where, { positive: true }),
      k2: num(b, 'k2', where),
      k3: optNum(b, 'k3', where, 0),
      k4: optNum(b, 'k4', where, 0),
    };
  });
  bonds.forEach((b, q) =>
    bonds.forEach((c, r) => {
      const same = (b.species[0] === c.species[0] && b.species[1] === c.species[1]) || (b.species[0] === c.species[1] && b.species[1] === c.species[0]);
      if (r > q && same && Math.abs(b.d0 - c.d0) <= 2 * tolerance) {
        throw new PotentialError(`${source}: bonds[${q}] and bonds[${r}] (${b.species.join('-')}) have d0 closer than 2*tolerance: bonds would be ambiguous`);
      }
    }),
  );
  return { type: 'bond-network', tolerance, bonds };
}

/** One bond of the fixed topology. */
export interface Bond {
  i: number;
  j: number;
  shift: [number, number, number];
  type: number;
  /** Reference length (Å). */
  length: number;
}

type BondFn = (
  n: number, cell: number, frac: number, fracRef: number, nb: number, bi: number, bj: number, bs: number, bt: number,
  ntypes: number, params: number, forces: number, volume: number, out: number, info: number,
) => number;

export class BondNetworkCalculator implements Calculator {
  readonly name = 'bond-network';
  readonly params: BondNetworkParams;
  readonly reference: Structure;
  readonly bonds: readonly Bond[];
  private readonly k: Kernels;
  private readonly fn: BondFn;
  private readonly bi: I32Buffer;
  private readonly bj: I32Buffer;
  private readonly bs: I32Buffer;
  private readonly bt: I32Buffer;
  private readonly pbuf: F64Buffer;
  private readonly fracRef: F64Buffer;
  private readonly frac: F64Buffer;
  private readonly cell: F64Buffer;
  private readonly forces: F64Buffer;
  private readonly out: F64Buffer;
  private readonly info: I32Buffer;
  private disposed = false;

  constructor(k: Kernels, params: BondNetworkParams | Json, reference: Structure, source = 'potential') {
    const p = parseBondNetwork(params, source);
    this.params = p;
    this.reference = reference;
    this.k = k;
    this.fn = k.fn<BondFn>('bonds_compute');
    const tol = p.tolerance ?? 0.1;
    const known = new Set(p.bonds.flatMap((b) => b.species));
    reference.species.forEach((s, a) => {
      if (!known.has(s)) throw new PotentialError(`${source}: species "${s}" of reference atom ${a + 1} appears in no bond type`);
    });
    const rc = Math.max(...p.bonds.map((b) => b.d0)) + tol;
    const pairs = neighborPairs(k, reference.cell, reference.frac, rc * (1 + 1e-12));
    const bonds: Bond[] = [];
    for (let q = 0; q < pairs.i.length; q++) {
      const i = pairs.i[q], j = pairs.j[q], d = pairs.distances[q];
      const si = reference.species[i], sj = reference.species[j];
      let best = -1;
      let bestDev = Infinity;
      p.bonds.forEach((b, t) => {
        const match = (b.species[0] === si && b.species[1] === sj) || (b.species[0] === sj && b.species[1] === si);
        const dev = Math.abs(d - b.d0);
        if (match && dev <= tol && dev < bestDev) {
          best = t;
          bestDev = dev;
        }
      });
      if (best >= 0) bonds.push({ i, j, shift: [pairs.shift[3 * q], pairs.shift[3 * q + 1], pairs.shift[3 * q + 2]], type: best, length: d });
    }
    if (bonds.length === 0) throw new PotentialError(`${source}: no bond of any type found in the reference structure (tolerance ${tol} Å)`);
    this.bonds = bonds;
    const nb = bonds.length;
    this.bi = k.i32(nb, undefined, { owned: true });
    this.bj = k.i32(nb, undefined, { owned: true });
    this.bs = k.i32(3 * nb, undefined, { owned: true });
    this.bt = k.i32(nb, undefined, { owned: true });
    bonds.forEach((b, q) => {
      this.bi.view[q] = b.i;
      this.bj.view[q] = b.j;
      this.bs.view.set(b.shift, 3 * q);
      this.bt.view[q] = b.type;
    });
    this.pbuf = k.f64(4 * p.bonds.length, undefined, { owned: true });
    p.bonds.forEach((b, t) => this.pbuf.view.set([b.d0, b.k2, b.k3 ?? 0, b.k4 ?? 0], 4 * t));
    const n = reference.natoms;
    this.fracRef = k.f64(3 * n, undefined, { owned: true });
    this.fracRef.view.set(reference.frac);
    this.frac = k.f64(3 * n, undefined, { owned: true });
    this.cell = k.f64(9, undefined, { owned: true });
    this.forces = k.f64(3 * n, undefined, { owned: true });
    this.out = k.f64(10, undefined, { owned: true });
    this.info = k.i32(2, undefined, { owned: true });
  }

  get bondCount(): number {
    return this.bonds.length;
  }

  computeOne(s: Structure, index = 0): { energy: number; forces: Float64Array; stress: Float64Array } {
    if (this.disposed) throw new CalculatorError(`${this.name}: used after dispose`, index);
    const n = this.reference.natoms;
    if (s.natoms !== n) throw new CalculatorError(`${this.name}: configuration ${index} has ${s.natoms} atoms, the bond network was built for ${n}`, index);
    for (let a = 0; a < n; a++) {
      if (s.species[a] !== this.reference.species[a]) {
        throw new CalculatorError(`${this.name}: species "${s.species[a]}" of atom ${a + 1} in configuration ${index} differs from the reference ("${this.reference.species[a]}")`, index);
      }
    }
    this.frac.view.set(s.frac);
    this.cell.view.set(s.cell);
    const st = this.fn(n, this.cell.ptr, this.frac.ptr, this.fracRef.ptr, this.bonds.length, this.bi.ptr, this.bj.ptr, this.bs.ptr,
      this.bt.ptr, this.params.bonds.length, this.pbuf.ptr, this.forces.ptr, s.volume, this.out.ptr, this.info.ptr);
    if (st === ST_OVERLAP) {
      const info = this.info.view;
      throw new CalculatorError(`${this.name}: bonded atoms ${info[0] + 1} and ${info[1] + 1} of configuration ${index} overlap (bond length < 1e-8 Å)`, index);
    }
    if (st !== 0) {
      try {
        this.k.check(this.name, st);
      } catch (e) {
        throw new CalculatorError(`${this.name}: configuration ${index}: ${(e as Error).message}`, index);
      }
    }
    const out = this.out.view;
    return { energy: out[0], forces: this.forces.view.slice(0, 3 * n), stress: out.slice(1, 10) };
  }

  async compute(structures: readonly Structure[], options: CalcOptions = {}): Promise<CalcResult[]> {
    return runBatch(this.name, structures, options, (s, i) => this.computeOne(s, i));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of [this.bi, this.bj, this.bs, this.bt, this.info]) b.free();
    for (const b of [this.pbuf, this.fracRef, this.frac, this.cell, this.forces, this.out]) b.free();
  }
}
