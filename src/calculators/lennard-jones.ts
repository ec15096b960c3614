// Lennard-Jones per species pair on the WebAssembly pair kernel (assembly/potentials/pair.ts).
//
// Potential file (JSON):
//   { "type": "lennard-jones",
//     "cutoffMode": "shift" | "smooth",      // optional, default "shift"
//     "skin": 0.5,                           // optional Verlet skin (Å), default 0.5
//     "pairs": [ { "species": ["Ar", "Ar"], "epsilon": 0.0104, "sigma": 3.40, "cutoff": 8.5,
//                  "ro": 5.6 } ] }           // ro: onset of the smooth cutoff, default 0.66 cutoff
// phi(r) = 4 eps ((sigma/r)^12 - (sigma/r)^6)
//   "shift":  E = phi(r) - phi(rc) for r < rc (energy continuous; force jumps at rc)
//   "smooth": E = phi(r) S(r^2), S the cubic switch from 1 at ro^2 to 0 at rc^2 with zero slopes
//             (energy and forces continuous; the form of ASE's LennardJones(smooth=True)).
// Every pair of species that can occur must be listed (no mixing rules are applied).
import type { Kernels } from '../wasm/kernels.js';
import type { F64Buffer } from '../wasm/kernels.js';
import {
  NeighborListCalculator, PotentialError, type Json, arrayField, checkType, isObject, noExtraKeys, num, optNum, speciesTuple,
} from './wasm-calculator.js';

export interface LennardJonesPair {
  species: [string, string];
  epsilon: number;
  sigma: number;
  cutoff: number;
  ro?: number;
}

export interface LennardJonesParams {
  type: 'lennard-jones';
  cutoffMode?: 'shift' | 'smooth';
  skin?: number;
  pairs: LennardJonesPair[];
}

/** Validate a parsed JSON object; errors name `source` and the field (e.g. "pairs[1].sigma"). */
export function parseLennardJones(obj: unknown, source = 'potential'): LennardJonesParams {
  const o = checkType(obj, 'lennard-jones', source);
  noExtraKeys(o, ['type', 'cutoffMode', 'skin', 'pairs', 'comment'], source);
  const mode = o.cutoffMode ?? 'shift';
  if (mode !== 'shift' && mode !== 'smooth') throw new PotentialError(`${source}: cutoffMode must be "shift" or "smooth", got ${JSON.stringify(mode)}`);
  const skin = optNum(o, 'skin', source, 0.5, { nonNegative: true });
  const pairs = arrayField(o, 'pairs', source).map((p, q) => {
    const where = `${source}: pairs[${q}]`;
    if (!isObject(p)) throw new PotentialError(`${where} must be an object`);
    noExtraKeys(p, ['species', 'epsilon', 'sigma', 'cutoff', 'ro'], where);
    const species = speciesTuple(p, where, 2) as [string, string];
    const epsilon = num(p, 'epsilon', where, { nonNegative: true });
    const sigma = num(p, 'sigma', where, { positive: true });
    const cutoff = num(p, 'cutoff', where, { positive: true });
    const pair: LennardJonesPair = { species, epsilon, sigma, cutoff };
    if (p.ro !== undefined) {
      pair.ro = num(p, 'ro', where, { positive: true });
      if (!(pair.ro < cutoff)) throw new PotentialError(`${where}.ro must be smaller than cutoff (${cutoff}), got ${pair.ro}`);
    }
    return pair;
  });
  return { type: 'lennard-jones', cutoffMode: mode, skin, pairs };
}

/** Collect the species of pair records and check that every pair is given exactly once. */
export function pairTable<P extends { species: [string, string] }>(pairs: P[], source: string): { species: string[]; table: (P | undefined)[] } {
  const species: string[] = [];
  for (const p of pairs) for (const s of p.species) if (!species.includes(s)) species.push(s);
  const nt = species.length;
  const table: (P | undefined)[] = new Array(nt * nt).fill(undefined);
  pairs.forEach((p, q) => {
    const a = species.indexOf(p.species[0]), b = species.indexOf(p.species[1]);
    if (table[a * nt + b]) throw new PotentialError(`${source}: pairs[${q}] repeats the pair ${p.species[0]}-${p.species[1]}`);
    table[a * nt + b] = p;
    table[b * nt + a] = p;
  });
  for (let a = 0; a < nt; a++)
    for (let b = a; b < nt; b++)
      if (!table[a * nt + b]) throw new PotentialError(`${source}: no parameters for the pair ${species[a]}-${species[b]} (add it to "pairs")`);
  return { species, table };
}

const PAIR_STRIDE = 8;

type PairFn = (
  kind: number, n: number, nExt: number, extPos: number, owner: number, types: number, first: number, nbr: number,
  nt: number, params: number, fext: number, forces: number, volume: number, out: number, info: number,
) => number;

/** Energy, forces and stress from Lennard-Jones pairs. */
export class LennardJonesCalculator extends NeighborListCalculator {
  readonly name = 'lennard-jones';
  readonly params: LennardJonesParams;
  private readonly paramBuf: F64Buffer;
  private readonly nt: number;
  private readonly fn: PairFn;

  constructor(k: Kernels, params: LennardJonesParams | Json, source = 'potential') {
    const p = parseLennardJones(params, source);
    const { species, table } = pairTable(p.pairs, source);
    const rcMax = Math.max(...p.pairs.map((q) => q.cutoff));
    super(k, species, rcMax, p.skin ?? 0.5, false);
    this.params = p;
    this.nt = species.length;
    this.fn = k.fn<PairFn>('pair_compute');
    const smooth = p.cutoffMode === 'smooth';
    const vals = new Float64Array(this.nt * this.nt * PAIR_STRIDE);
    table.forEach((q, t) => {
      const { epsilon: e, sigma: s, cutoff: rc } = q!;
      // integer powers by products only (bit-identical on every platform)
      const s6 = s * s * (s * s) * (s * s);
      const c12 = 4 * e * s6 * s6, c6 = 4 * e * s6;
      const irc2 = 1 / (rc * rc), irc6 = irc2 * irc2 * irc2;
      const ro = q!.ro ?? 0.66 * rc;
      const o = t * PAIR_STRIDE;
      vals[o] = c12;
      vals[o + 1] = c6;
      vals[o + 2] = rc * rc;
      vals[o + 3] = smooth ? 0 : c12 * irc6 * irc6 - c6 * irc6;
      vals[o + 4] = smooth ? 1 : 0;
      vals[o + 5] = ro * ro;
    });
    this.paramBuf = k.f64(vals.length, undefined, { owned: true });
    this.paramBuf.view.set(vals);
  }

  protected kernel(types: number, fext: number, forces: number, volume: number): number {
    const p = this.nl.ptrs;
    return this.fn(0, this.nl.n, this.nl.nExt, p.extPos, p.owner, types, p.first, p.nbr, this.nt, this.paramBuf.ptr, fext, forces, volume,
      this.outBuf.ptr, this.infoBuf.ptr);
  }

  dispose(): void {
    this.paramBuf.free();
    super.dispose();
  }
}
