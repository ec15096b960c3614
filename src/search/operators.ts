// Variation operators of the evolutionary search (physics.md 7.4): heredity (cut-and-splice),
// lattice mutation, permutation, soft-mode mutation, coordinate mutation (rattle), plus the random
// generator. Every draw comes from a `Draws` (one Philox stream per child). Each operator returns a
// child with the parents' composition, or null when it could not make one; `finishChild` then scales
// it to the reference volume, Niggli-reduces it and applies the hard constraints of physics.md 7.1.
//
// Soft mutation uses a bond-spring dynamical matrix (physics.md 7.4: "a pair-spring model with
// stiffness decaying with r − r_A − r_B"): k_ij = exp(−(r_ij − r_A − r_B)/λ), λ = 0.5 Å, stretching
// springs to every neighbour within r_A + r_B + 3 Å, Γ point, no mass weighting. The three uniform
// translations are pushed to the top of the spectrum by a penalty, so the modes are taken from the
// bottom: the softest one this parent has not used yet.
import { eigh } from '../linalg/eigh.js';
import { covalentRadius } from '../structure/elements.js';
import { cellFromParameters, Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import type { MinDistances } from './composition.js';
import { wrap01 } from '../symmetry/operations.js';
import { constraintViolation, imageTranslations, minDistanceViolation, niggliStructure, scaleToVolume, transformCell } from './constraints.js';
import type { Draws } from './draws.js';
import { randomP1Structure } from './random-p1.js';
import { cbrt, exp, hypot3 } from '../numeric/detmath.js';
import { det3, inv3, mul3 } from '../structure/mat3.js';

export const OPERATORS = ['heredity', 'random', 'lattice', 'soft', 'permutation', 'coordinate'] as const;
export type OperatorName = (typeof OPERATORS)[number];
export type OperatorFractions = Record<OperatorName, number>;

/** physics.md 7.4 / 11: heredity 0.5, random 0.2, lattice 0.1, soft 0.1, permutation 0.1. */
export const DEFAULT_FRACTIONS: OperatorFractions = { heredity: 0.5, random: 0.2, lattice: 0.1, soft: 0.1, permutation: 0.1, coordinate: 0 };

/**
 * Fractions renormalised to 1; permutation needs two species, otherwise its share goes to soft
 * mutation (physics.md 7.4).
 */
export function normalizeFractions(f: Partial<OperatorFractions>, nSpecies: number): OperatorFractions {
  const out = { ...DEFAULT_FRACTIONS, ...f };
  for (const k of OPERATORS) if (!(out[k] >= 0) || !Number.isFinite(out[k])) throw new RangeError(`operator fraction ${k} must be a non-negative number, got ${out[k]}`);
  if (nSpecies < 2) {
    out.soft += out.permutation;
    out.permutation = 0;
  }
  const total = OPERATORS.reduce((s, k) => s + out[k], 0);
  if (!(total > 0)) throw new RangeError('operator fractions: at least one must be positive');
  for (const k of OPERATORS) out[k] /= total;
  return out;
}

/** Makes a random structure with these species (one per atom) and volume, or null. */
export type RandomGenerator = (d: Draws, species: readonly string[], volume: number, md: MinDistances) => Structure | null;

/** The fallback generator: random P1 placement with minimum distances (random-p1.ts). */
export const randomP1Generator: RandomGenerator = (d, species, volume, md) => randomP1Structure(d, species, volume, md);

export interface OperatorSettings {
  /** σ_L of lattice mutation. Default 0.15. */
  latticeSigma?: number;
  /** Largest displacement radius (Å) of coordinate mutation; drawn in [½r, r]. Default 1. */
  rattleRadius?: number;
  /** Fraction of atoms moved by coordinate mutation: drawn in [lo, hi]. Default [0.25, 0.4]. */
  rattleFraction?: [number, number];
  /** Largest fraction p of permutation: 1 … ⌈p·N/2⌉ swaps. Default 0.3. */
  permutationFraction?: number;
  /** Attempts per operator before giving up (heredity: cut positions). Default 100. */
  attempts?: number;
  /** Heredity: re-express parent B in the cell closest to A's before splicing (matchLattice). Default true. */
  matchLattices?: boolean;
  /** Heredity with local orders: random slabs compared per parent, the most ordered kept. Default 4. */
  slabCandidates?: number;
}

export interface ChildContext {
  minDistances: MinDistances;
  /** Reference volume per atom (Å³). */
  volumePerAtom: number;
  /** Accepted volume range around the reference (physics.md 7.1: [0.5, 2]). */
  volumeRange?: [number, number];
  minCellLengthFactor?: number;
}

/** Scale to the reference volume, Niggli-reduce, check the hard constraints: the child, or the reason it fails. */
export function finishChild(s: Structure, ctx: ChildContext, rescale = true): { structure: Structure | null; reason?: string } {
  let t: Structure;
  try {
    t = niggliStructure(rescale ? scaleToVolume(s, ctx.volumePerAtom * s.natoms) : s);
  } catch (e) {
    return { structure: null, reason: (e as Error).message };
  }
  const why = constraintViolation(t, {
    minDistances: ctx.minDistances,
    referenceVolume: ctx.volumePerAtom * t.natoms,
    volumeRange: ctx.volumeRange,
    minCellLengthFactor: ctx.minCellLengthFactor,
  });
  return why ? { structure: null, reason: why } : { structure: t };
}

// ------------------------------------------------------------------------------------------------
// Heredity

interface Piece {
  parent: 0 | 1;
  index: number;
  species: string;
  frac: [number, number, number];
  /** Distance (fractional, along the cut direction) to the nearest cut plane. */
  toCut: number;
  inside: boolean;
}

// Lattice matching. The Niggli cells of two parents may describe similar lattices with differently
// chosen vectors (a ↔ b, a + b instead of a, …); splicing fractional coordinates of such cells, with
// lattice parameters mixed term by term, shears one slab and destroys its local environments. So
// parent B is first re-expressed in the cell M·L_B (M unimodular, entries −1, 0, 1, det +1) whose
// metric tensor is closest to A's (after scaling B to A's volume); the atoms of B do not move.

/** The 3×3 integer matrices with entries in {−1, 0, 1} and determinant +1 (row-major). */
const UNIMODULAR: Int8Array[] = (() => {
  const out: Int8Array[] = [];
  const m = new Int8Array(9);
  for (let code = 0; code < 19683; code++) {
    let c = code;
    for (let i = 0; i < 9; i++) {
      m[i] = (c % 3) - 1;
      c = Math.floor(c / 3);
    }
    const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
    if (det === 1) out.push(Int8Array.from(m));
  }
  return out;
})();

const metric = (c: ArrayLike<number>): number[] => {
  const g: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) g.push(c[3 * i] * c[3 * j] + c[3 * i + 1] * c[3 * j + 1] + c[3 * i + 2] * c[3 * j + 2]);
  return g;
};

/**
 * The unimodular M (entries −1, 0, 1) for which the metric of M·L_B, scaled to A's volume, is closest
 * to A's: mismatch = ‖G_A − G'_B‖_F / tr G_A (0 for the same lattice up to a rotation or reflection).
 */
export function matchLattice(cellA: ArrayLike<number>, cellB: ArrayLike<number>): { M: Int8Array; mismatch: number } {
  const gA = metric(cellA), gB = metric(cellB);
  const vA = Math.abs(det3(Float64Array.from(cellA))), vB = Math.abs(det3(Float64Array.from(cellB)));
  const k = cbrt(vA / vB);
  const k2 = k * k;
  const tr = gA[0] + gA[4] + gA[8];
  let best = Infinity, bestM = UNIMODULAR[0];
  for (const M of UNIMODULAR) {
    let err = 0;
    for (let i = 0; i < 3 && err < best; i++)
      for (let j = i; j < 3; j++) {
        // (M G Mᵀ)_ij
        let s = 0;
        for (let p = 0; p < 3; p++) {
          const mip = M[3 * i + p];
          if (mip === 0) continue;
          for (let q = 0; q < 3; q++) s += mip * gB[3 * p + q] * M[3 * j + q];
        }
        const d = k2 * s - gA[3 * i + j];
        err += (i === j ? 1 : 2) * d * d;
      }
    if (err < best) {
      best = err;
      bestM = M;
    }
  }
  return { M: bestM, mismatch: Math.sqrt(best) / tr };
}


/**
 * Cut-and-splice (physics.md 7.4): a slab of fraction s ∈ [0.25, 0.75] of A along lattice direction k
 * (after a random offset) and the rest from B, lattice parameters mixed as ω·A + (1 − ω)·B with
 * ω = s; stoichiometry repaired from the atoms nearest to the cut planes. Both parents must have the
 * same number of atoms of every species. B is first re-expressed in the cell closest to A's
 * (matchLattice); with `orders` (local orders of A's and B's atoms) each parent's offset is the most
 * ordered of `slabCandidates` random ones (Lyakhov et al. 2010).
 */
export function heredity(d: Draws, a: Structure, b: Structure, ctx: ChildContext, settings: OperatorSettings = {}, orders?: { a: ArrayLike<number>; b: ArrayLike<number> }): Structure | null {
  const want = countMap(a.species);
  const wantB = countMap(b.species);
  if (want.size !== wantB.size || [...want].some(([k, v]) => wantB.get(k) !== v)) return null;
  const attempts = settings.attempts ?? 100;
  if (settings.matchLattices ?? true) b = transformCell(b, matchLattice(a.cell, b.cell).M);
  const pa = a.lattice(), pb = b.lattice();
  for (let attempt = 0; attempt < attempts; attempt++) {
    const k = d.int(3);
    const s = d.range(0.25, 0.75);
    // offsets: random, or the most ordered of a few random slabs of each parent (Lyakhov et al. 2010)
    const tries = orders ? Math.max(1, settings.slabCandidates ?? 4) : 1;
    const oA = bestOffset(d, a, orders?.a, k, s, true, tries);
    const oB = bestOffset(d, b, orders?.b, k, s, false, tries);
    const w = s;
    let cell: Float64Array;
    try {
      cell = cellFromParameters(
        w * pa.a + (1 - w) * pb.a, w * pa.b + (1 - w) * pb.b, w * pa.c + (1 - w) * pb.c,
        w * pa.alpha + (1 - w) * pb.alpha, w * pa.beta + (1 - w) * pb.beta, w * pa.gamma + (1 - w) * pb.gamma,
      );
    } catch {
      continue;
    }
    const pieces: Piece[] = [];
    for (const [p, st, o] of [[0, a, oA], [1, b, oB]] as const) {
      for (let i = 0; i < st.natoms; i++) {
        const f: [number, number, number] = [st.frac[3 * i], st.frac[3 * i + 1], st.frac[3 * i + 2]];
        f[k] = wrap01(f[k] - o);
        const x = f[k];
        const inside = p === 0 ? x < s : x >= s;
        // A's slab is [0, s), B's is [s, 1); the planes are at 0 (≡ 1) and s
        const toCut = Math.min(Math.abs(x - s), x, 1 - x);
        pieces.push({ parent: p, index: i, species: st.species[i], frac: f, toCut, inside });
      }
    }
    const chosen: Piece[] = [];
    let ok = true;
    for (const [sp, n] of want) {
      const mine = pieces.filter((q) => q.species === sp && q.inside).sort(byCut);
      if (mine.length > n) {
        // surplus: drop those closest to the cut planes (keep the n farthest)
        mine.reverse();
        chosen.push(...mine.slice(0, n));
      } else {
        chosen.push(...mine);
        const spare = pieces.filter((q) => q.species === sp && !q.inside).sort(byCut);
        if (spare.length < n - mine.length) {
          ok = false;
          break;
        }
        chosen.push(...spare.slice(0, n - mine.length));
      }
    }
    if (!ok) continue;
    if (!chosen.some((q) => q.parent === 0) || !chosen.some((q) => q.parent === 1)) continue;
    // atoms in the order of parent A's species list
    const order = [...want.keys()];
    chosen.sort((x, y) => order.indexOf(x.species) - order.indexOf(y.species));
    const child = new Structure({ cell, species: chosen.map((q) => q.species), frac: chosen.flatMap((q) => q.frac) });
    const r = finishChild(child, ctx);
    if (r.structure) return r.structure;
  }
  return null;
}

/** A random offset o, or of `tries` random ones the one whose slab ((f_k − o) mod 1 < s for A, ≥ s for B) has the highest mean order. */
function bestOffset(d: Draws, st: Structure, order: ArrayLike<number> | undefined, k: number, s: number, lower: boolean, tries: number): number {
  let best = d.uniform();
  if (!order || tries <= 1) return best;
  let bestScore = -Infinity;
  for (let t = 0; t < tries; t++) {
    const o = t === 0 ? best : d.uniform();
    let sum = 0, cnt = 0;
    for (let i = 0; i < st.natoms; i++) {
      const x = wrap01(st.frac[3 * i + k] - o);
      if (x < s === lower) {
        sum += order[i];
        cnt++;
      }
    }
    const score = cnt ? sum / cnt : -Infinity;
    if (score > bestScore) {
      bestScore = score;
      best = o;
    }
  }
  return best;
}

const byCut = (x: Piece, y: Piece) => x.toCut - y.toCut || x.parent - y.parent || x.index - y.index;

function countMap(species: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of species) m.set(s, (m.get(s) ?? 0) + 1);
  return m;
}

// ------------------------------------------------------------------------------------------------
// Lattice mutation, permutation, coordinate mutation

/**
 * Lattice mutation: symmetric strain ε with ε_ii ~ N(0, σ²), ε_ij ~ N(0, (σ/2)²), each clipped to ±2σ;
 * new cell = cell·(𝟙 + ε), atoms follow in fractional coordinates, volume rescaled.
 */
export function latticeMutation(d: Draws, p: Structure, ctx: ChildContext, settings: OperatorSettings = {}): Structure | null {
  const sig = settings.latticeSigma ?? 0.15;
  const clip = (x: number) => Math.max(-2 * sig, Math.min(2 * sig, x));
  for (let attempt = 0; attempt < (settings.attempts ?? 100); attempt++) {
    const e = new Float64Array(9);
    for (let i = 0; i < 3; i++) e[4 * i] = clip(sig * d.normal());
    for (const [i, j] of [[0, 1], [0, 2], [1, 2]]) e[3 * i + j] = e[3 * j + i] = clip(0.5 * sig * d.normal());
    for (let i = 0; i < 3; i++) e[4 * i] += 1;
    const c = p.cell;
    const cell = new Float64Array(9);
    for (let r = 0; r < 3; r++) for (let col = 0; col < 3; col++) cell[3 * r + col] = c[3 * r] * e[col] + c[3 * r + 1] * e[3 + col] + c[3 * r + 2] * e[6 + col];
    let child: Structure;
    try {
      child = p.with({ cell });
    } catch {
      continue;
    }
    const r = finishChild(child, ctx);
    if (r.structure) return r.structure;
  }
  return null;
}

/** Permutation: swap the positions of 1 … ⌈p·N/2⌉ pairs of unlike atoms. */
export function permutation(d: Draws, p: Structure, ctx: ChildContext, settings: OperatorSettings = {}): Structure | null {
  const n = p.natoms;
  if (new Set(p.species).size < 2) return null;
  const maxSwaps = Math.max(1, Math.ceil(((settings.permutationFraction ?? 0.3) * n) / 2));
  for (let attempt = 0; attempt < (settings.attempts ?? 100); attempt++) {
    const swaps = 1 + d.int(maxSwaps);
    const f = Float64Array.from(p.frac);
    for (let q = 0; q < swaps; q++) {
      let i = d.int(n), j = d.int(n);
      for (let t = 0; t < 100 && p.species[i] === p.species[j]; t++) {
        i = d.int(n);
        j = d.int(n);
      }
      if (p.species[i] === p.species[j]) return null;
      for (let k = 0; k < 3; k++) [f[3 * i + k], f[3 * j + k]] = [f[3 * j + k], f[3 * i + k]];
    }
    const r = finishChild(p.with({ frac: f }), ctx);
    if (r.structure) return r.structure;
  }
  return null;
}

/** Coordinate mutation: move 25–40 % of the atoms by uniform vectors in a ball of radius 0.5–1 Å. */
export function coordinateMutation(d: Draws, p: Structure, ctx: ChildContext, settings: OperatorSettings = {}, order?: ArrayLike<number>): Structure | null {
  const n = p.natoms;
  // with local orders: atoms drawn with weights growing with their disorder (Lyakhov et al. 2010)
  let weights: number[] | null = null;
  if (order) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, order[i]);
      hi = Math.max(hi, order[i]);
    }
    if (hi - lo > 1e-6 * hi) weights = Array.from({ length: n }, (_, i) => 0.1 + (hi - order[i]) / (hi - lo));
  }
  const [flo, fhi] = settings.rattleFraction ?? [0.25, 0.4];
  const rmax = settings.rattleRadius ?? 1;
  for (let attempt = 0; attempt < (settings.attempts ?? 100); attempt++) {
    const frac = d.range(flo, fhi);
    const m = Math.max(1, Math.round(frac * n));
    const idx = weights ? weightedSample(d, weights, m) : d.shuffle([...Array(n).keys()]).slice(0, m);
    const radius = d.range(0.5 * rmax, rmax);
    const cart = p.cartesian();
    for (const i of idx) {
      const v = d.inBall();
      for (let k = 0; k < 3; k++) cart[3 * i + k] += radius * v[k];
    }
    const r = finishChild(new Structure({ cell: p.cell, species: [...p.species], cartesian: cart }), ctx);
    if (r.structure) return r.structure;
  }
  return null;
}

/** m distinct indices drawn one after another with probabilities ∝ weights. */
function weightedSample(d: Draws, weights: readonly number[], m: number): number[] {
  const w = [...weights];
  const out: number[] = [];
  for (let t = 0; t < m && t < w.length; t++) {
    const i = d.weighted(w);
    out.push(i);
    w[i] = 0;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Soft mutation

/** Bond-spring force-constant matrix (3N × 3N, Γ point, eV/Å² up to a common scale) with translations pushed up. */
export function springHessian(s: Structure, lambda = 0.5, extra = 3): Float64Array {
  const n = s.natoms, m = 3 * n;
  const H = new Float64Array(m * m);
  const rad = s.species.map((x) => covalentRadius(x));
  const rcut = 2 * Math.max(...rad) + extra;
  const T = imageTranslations(s.cell, rcut);
  const c = s.cell, f = s.frac;
  let kmax = 0;
  const bond = (i: number, j: number, x: number, y: number, z: number) => {
    const r = hypot3(x, y, z);
    if (r < 1e-8 || r > rad[i] + rad[j] + extra) return;
    const k = exp(-(r - rad[i] - rad[j]) / lambda);
    kmax = Math.max(kmax, k);
    const e = [x / r, y / r, z / r];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        const v = k * e[a] * e[b];
        H[(3 * i + a) * m + 3 * i + b] += v;
        H[(3 * i + a) * m + 3 * j + b] -= v;
      }
  };
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let u = f[3 * j] - f[3 * i], v = f[3 * j + 1] - f[3 * i + 1], w = f[3 * j + 2] - f[3 * i + 2];
      u -= Math.round(u);
      v -= Math.round(v);
      w -= Math.round(w);
      const x = u * c[0] + v * c[3] + w * c[6], y = u * c[1] + v * c[4] + w * c[7], z = u * c[2] + v * c[5] + w * c[8];
      if (i !== j) bond(i, j, x, y, z);
      for (let q = 0; q < T.length; q += 3) bond(i, j, x + T[q], y + T[q + 1], z + T[q + 2]);
    }
  // penalty on the uniform translations t_α = e_α/√N on every atom: they move to the top
  const pen = 10 * n * Math.max(kmax, 1);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let a = 0; a < 3; a++) H[(3 * i + a) * m + 3 * j + a] += pen / n;
  // exact symmetry (the two halves of each bond were added in different orders)
  for (let p = 0; p < m; p++)
    for (let q = p + 1; q < m; q++) {
      const v = 0.5 * (H[p * m + q] + H[q * m + p]);
      H[p * m + q] = H[q * m + p] = v;
    }
  return H;
}

/**
 * Soft-mode mutation (physics.md 7.4): the softest mode of the spring model not yet used for this
 * parent (`used` = how many were used; the caller keeps that count), followed with increasing
 * amplitude (steps of 0.1 Å in the largest atomic displacement, random sign) until a distance
 * constraint would break or the amplitude reaches 2 Å; a mode whose usable amplitude stays below
 * 0.5 Å is skipped. Returns the child and the number of modes consumed.
 */
export function softMutation(k: Kernels, d: Draws, p: Structure, used: number, ctx: ChildContext): { structure: Structure | null; used: number } {
  const n = p.natoms, m = 3 * n;
  const { values, vectors } = eigh(k, springHessian(p), m, { symmetryTol: Infinity });
  void values;
  let u = used;
  const nModes = m - 3;
  const cart0 = p.cartesian();
  while (u < nModes) {
    const mode = u++;
    let big = 0;
    for (let i = 0; i < n; i++) big = Math.max(big, hypot3(vectors[3 * i * m + mode], vectors[(3 * i + 1) * m + mode], vectors[(3 * i + 2) * m + mode]));
    if (!(big > 0)) continue;
    const sign = d.uniform() < 0.5 ? -1 : 1;
    let good: Structure | null = null;
    let amp = 0;
    for (let a = 0.1; a <= 2.0 + 1e-9; a += 0.1) {
      const cart = Float64Array.from(cart0);
      for (let q = 0; q < m; q++) cart[q] += ((sign * a) / big) * vectors[q * m + mode];
      const t = new Structure({ cell: p.cell, species: [...p.species], cartesian: cart });
      if (minDistanceViolation(t, ctx.minDistances)) break;
      good = t;
      amp = a;
    }
    if (!good || amp < 0.5 - 1e-9) continue;
    const r = finishChild(good, ctx);
    if (r.structure) return { structure: r.structure, used: u };
  }
  return { structure: null, used: u };
}

/** A random structure from the generator, Niggli-reduced and checked. */
export function randomChild(gen: RandomGenerator, d: Draws, species: readonly string[], ctx: ChildContext, attempts = 20): Structure | null {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const s = gen(d, species, ctx.volumePerAtom * species.length, ctx.minDistances);
    if (!s) continue;
    const r = finishChild(s, ctx);
    if (r.structure) return r.structure;
  }
  return null;
}
