// Morse potential per species pair on the WebAssembly pair kernel (assembly/potentials/pair.ts).
//
// Potential file (JSON):
//   { "type": "morse",
//     "skin": 0.5,                                   // optional Verlet skin (Å), default 0.5
//     "pairs": [ { "species": ["Cu", "Cu"], "D": 0.3429, "a": 1.3588, "r0": 2.866, "cutoff": 6.0 } ] }
// E(r) = D (exp(-2a(r - r0)) - 2 exp(-a(r - r0))) - E_rc for r < cutoff (energy-shifted so E(rc) = 0);
// minimum -D (+ small shift) at r0. Same form as LAMMPS `pair_style morse` with `pair_modify shift yes`
// (D0, alpha, r0) and as ASE's MorsePotential with epsilon = D, rho0 = a r0 (ASE adds its own smooth cutoff).
import type { Kernels } from '../wasm/kernels.js';
import type { F64Buffer } from '../wasm/kernels.js';
import { pairTable } from './lennard-jones.js';
import {
  NeighborListCalculator, PotentialError, type Json, arrayField, checkType, isObject, noExtraKeys, num, optNum, speciesTuple,
} from './wasm-calculator.js';

export interface MorsePair {
  species: [string, string];
  D: number;
  a: number;
  r0: number;
  cutoff: number;
}

export interface MorseParams {
  type: 'morse';
  skin?: number;
  pairs: MorsePair[];
}

export function parseMorse(obj: unknown, source = 'potential'): MorseParams {
  const o = checkType(obj, 'morse', source);
  noExtraKeys(o, ['type', 'skin', 'pairs', 'comment'], source);
  const skin = optNum(o, 'skin', source, 0.5, { nonNegative: true });
  const pairs = arrayField(o, 'pairs', source).map((p, q) => {
    const where = `${source}: pairs[${q}]`;
    if (!isObject(p)) throw new PotentialError(`${where} must be an object`);
    noExtraKeys(p, ['species', 'D', 'a', 'r0', 'cutoff'], where);
    return {
      species: speciesTuple(p, where, 2) as [string, string],
      D: num(p, 'D', where, { nonNegative: true }),
      a: num(p, 'a', where, { positive: true }),
      r0: num(p, 'r0', where, { positive: true }),
      cutoff: num(p, 'cutoff', where, { positive: true }),
    };
  });
  return { type: 'morse', skin, pairs };
}

type PairFn = (
  kind: number, n: number, nExt: number, extPos: number, owner: number, types: number, first: number, nbr: number,
  nt: number, params: number, fext: number, forces: number, volume: number, out: number, info: number,
) => number;

export class MorseCalculator extends NeighborListCalculator {
  readonly name = 'morse';
  readonly params: MorseParams;
  private readonly paramBuf: F64Buffer;
  private readonly nt: number;
  private readonly fn: PairFn;

  constructor(k: Kernels, params: MorseParams | Json, source = 'potential') {
    const p = parseMorse(params, source);
    const { species, table } = pairTable(p.pairs, source);
    super(k, species, Math.max(...p.pairs.map((q) => q.cutoff)), p.skin ?? 0.5, false);
    this.params = p;
    this.nt = species.length;
    this.fn = k.fn<PairFn>('pair_compute');
    const energyAt = k.fn<(D: number, a: number, r0: number, r: number) => number>('morse_energy');
    this.paramBuf = k.f64(this.nt * this.nt * 8, undefined, { owned: true });
    const v = this.paramBuf.view;
    v.fill(0);
    table.forEach((q, t) => {
      const o = 8 * t;
      v[o] = q!.D;
      v[o + 1] = q!.a;
      v[o + 2] = q!.r0;
      v[o + 3] = q!.cutoff * q!.cutoff;
      v[o + 4] = energyAt(q!.D, q!.a, q!.r0, q!.cutoff);
    });
  }

  protected kernel(types: number, fext: number, forces: number, volume: number): number {
    const p = this.nl.ptrs;
    return this.fn(1, this.nl.n, this.nl.nExt, p.extPos, p.owner, types, p.first, p.nbr, this.nt, this.paramBuf.ptr, fext, forces, volume,
      this.outBuf.ptr, this.infoBuf.ptr);
  }

  dispose(): void {
    this.paramBuf.free();
    super.dispose();
  }
}
