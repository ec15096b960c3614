// Enumeration of the moment-tensor basis (physics.md 6.3), offline, deterministic, in plain
// TypeScript. The result is a DAG that the kernel (assembly/mlip/mtp.ts) evaluates in one forward
// pass and differentiates by reverse accumulation.
//
// Moments M_{μ,ν,s}(i) = Σ_{j of species s} Q_μ(r_ij) r̂_ij^{⊗ν}, level 2 + 4μ + ν, are stored as
// their monomial components (p, q, r), p + q + r = ν. Every other tensor is a symmetrised
// contraction of two earlier tensors X (rank a), Y (rank b) over k ≥ 1 index pairs,
//   Z = sym(X ·_k Y)   (rank a + b − 2k),
// or a product of two scalars; its level is the sum of the levels. In components:
//   Z[δ] = Σ_{α+β=δ} Σ_γ  M(a−k;α) M(b−k;β) M(k;γ) / M(a+b−2k;δ) · X[α+γ] Y[β+γ]
// (M the multinomial coefficients): a list of (x, y, z, coefficient) product terms, the DAG edges.
//
// Linear independence: every tensor is evaluated on E fixed random environments (Philox, seeded),
// with generic radial values (an independent random number per neighbour and radial channel),
// and kept only if its values are not in the span of the tensors already kept with the same rank
// and the same *grade* (the multiset of (μ, s) factors). Grades separate dependencies exactly:
// scaling the radial values of channel (μ, s) by λ scales a tensor by λ^(its count of that
// channel), so any linear identity splits into identities within one grade. A dependent tensor is
// never needed (anything built from it is a combination of things built from the kept ones).
import type { Kernels } from '../wasm/kernels.js';
import { Rng } from '../random/rng.js';

export interface MtpEnumerationOptions {
  /** Number of species (neighbour labels s). */
  nSpecies: number;
  /** Maximum level L_max. */
  level: number;
  /** Number of radial channels available (μ < radialSize). */
  radialSize: number;
  /**
   * Extra level of a species-resolved moment (channel s ≥ 1, see below); default 0 (the full
   * species-resolved basis).
   */
  speciesPenalty?: number;
  /**
   * Two-body functions M_{μ,0} of every channel for μ < pairRadial, whatever their level (default 0):
   * the radial freedom of the pair part (see enumerateMtpBasis).
   */
  pairRadial?: number;
  /** Random environments for the rank test (default 320). */
  environments?: number;
  /** Seed of the Philox stream of the environments (default 20251). */
  seed?: number;
  /** Relative residual below which a candidate is dependent (default 1e-8). */
  tolerance?: number;
}

/** The enumerated basis as a DAG (what the kernel needs, and what the JSON stores). */
export interface MtpDag {
  nSpecies: number;
  /** Radial channels used (μ = 0..nMu−1). */
  nMu: number;
  /** Highest tensor rank of a moment, per μ. */
  nuMax: number[];
  /** Leaves per species = Σ_μ ncomp(≤ nuMax[μ]); leaf (s, μ, c) is node s·leavesPerSpecies + leafOffset[μ] + c. */
  leavesPerSpecies: number;
  leafOffset: number[];
  /** Total nodes (leaves first). */
  nNodes: number;
  /** Product terms, 3 per term: x, y, z node indices (value[z] += coef · value[x] · value[y]). */
  terms: Int32Array;
  coefs: Float64Array;
  /** Scalar nodes that are the basis functions B_α. */
  outputs: Int32Array;
  /** Level of each basis function. */
  outputLevels: Int32Array;
  /** Human-readable formula of each basis function (e.g. "(M0,1[H]·M0,1[S])"). */
  outputNames: string[];
  /** Diagnostics of the rank test: smallest residual kept, largest residual rejected. */
  rankTest: { minKept: number; maxRejected: number; environments: number; candidates: number; maxGroup: number };
}

// ------------------------------------------------------------------------------------------------
// Monomials in graded order: degree 0, 1, 2, ... ; within a degree p descending, then q descending.

/** Number of monomials of degree exactly n. */
export const ncompOf = (n: number): number => ((n + 1) * (n + 2)) / 2;
/** Number of monomials of degree ≤ n. */
export const ncompUpTo = (n: number): number => ((n + 1) * (n + 2) * (n + 3)) / 6;

/** Exponents (p, q, r) of the monomials of degree exactly n, in order. */
export function monomials(n: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let p = n; p >= 0; p--) for (let q = n - p; q >= 0; q--) out.push([p, q, n - p - q]);
  return out;
}

/** Index of (p, q, r) within its degree. */
export function monoIndex(p: number, q: number, r: number): number {
  const n = p + q + r;
  // degrees p' > p contribute (n − p' + 1) each: Σ_{p'=p+1}^{n} (n − p' + 1) = (n − p)(n − p + 1)/2
  return ((n - p) * (n - p + 1)) / 2 + (n - p - q);
}

const binom = (n: number, k: number): number => {
  let b = 1;
  for (let i = 1; i <= k; i++) b = (b * (n - k + i)) / i;
  return Math.round(b);
};
const multinomial = (p: number, q: number, r: number): number => binom(p + q + r, p) * binom(q + r, q);

// ------------------------------------------------------------------------------------------------

interface Tensor {
  id: number;
  level: number;
  rank: number;
  /** Sorted channel codes μ·nS + s of the factors. */
  grade: number[];
  name: string;
  /** Values on the environments: [env][component]. */
  values: Float64Array;
  /** Leaf: channel; contraction: the two inputs and the local terms. */
  leaf?: { mu: number; nu: number; s: number };
  inputs?: [Tensor, Tensor];
  /** Local terms: x component of inputs[0], y component of inputs[1], z component, coef. */
  local?: { x: Int32Array; y: Int32Array; z: Int32Array; c: Float64Array };
  used?: boolean;
}

/** Product terms of Z = sym(X ·_k Y), merged over equal (x, y) pairs when X = Y. */
function contractionTerms(a: number, b: number, k: number, same: boolean): Tensor['local'] {
  const n = a + b - 2 * k;
  const acc = new Map<string, number>();
  const ma = monomials(a - k), mk = monomials(k);
  for (const d of monomials(n)) {
    const zi = monoIndex(d[0], d[1], d[2]);
    const md = multinomial(d[0], d[1], d[2]);
    for (const al of ma) {
      const be = [d[0] - al[0], d[1] - al[1], d[2] - al[2]];
      if (be[0] < 0 || be[1] < 0 || be[2] < 0) continue;
      const w = (multinomial(al[0], al[1], al[2]) * multinomial(be[0], be[1], be[2])) / md;
      for (const g of mk) {
        let xi = monoIndex(al[0] + g[0], al[1] + g[1], al[2] + g[2]);
        let yi = monoIndex(be[0] + g[0], be[1] + g[1], be[2] + g[2]);
        if (same && yi < xi) [xi, yi] = [yi, xi];
        const key = `${zi},${xi},${yi}`;
        acc.set(key, (acc.get(key) ?? 0) + w * multinomial(g[0], g[1], g[2]));
      }
    }
  }
  const keys = [...acc.keys()];
  const out = { x: new Int32Array(keys.length), y: new Int32Array(keys.length), z: new Int32Array(keys.length), c: new Float64Array(keys.length) };
  keys.forEach((key, t) => {
    const [zi, xi, yi] = key.split(',').map(Number);
    out.z[t] = zi;
    out.x[t] = xi;
    out.y[t] = yi;
    out.c[t] = acc.get(key)!;
  });
  return out;
}

/** Per-group orthonormal bases for the rank test. */
class RankTest {
  private groups = new Map<string, Float64Array[]>();
  minKept = Infinity;
  maxRejected = 0;
  maxGroup = 0;
  candidates = 0;
  constructor(private readonly tol: number) {}

  /** True (and the vector is added to its group) if v is independent of the group. */
  add(key: string, values: Float64Array): boolean {
    this.candidates++;
    let basis = this.groups.get(key);
    if (!basis) this.groups.set(key, (basis = []));
    let nrm = 0;
    for (let q = 0; q < values.length; q++) nrm += values[q] * values[q];
    nrm = Math.sqrt(nrm);
    if (!(nrm > 0)) return false;
    const v = new Float64Array(values.length);
    for (let q = 0; q < v.length; q++) v[q] = values[q] / nrm;
    for (let pass = 0; pass < 2; pass++) {
      for (const u of basis) {
        let d = 0;
        for (let q = 0; q < v.length; q++) d += u[q] * v[q];
        for (let q = 0; q < v.length; q++) v[q] -= d * u[q];
      }
    }
    let res = 0;
    for (let q = 0; q < v.length; q++) res += v[q] * v[q];
    res = Math.sqrt(res);
    if (res > this.tol) {
      for (let q = 0; q < v.length; q++) v[q] /= res;
      basis.push(v);
      this.maxGroup = Math.max(this.maxGroup, basis.length);
      this.minKept = Math.min(this.minKept, res);
      return true;
    }
    this.maxRejected = Math.max(this.maxRejected, res);
    return false;
  }
}

/**
 * Enumerate the basis: all scalar contractions of moments with level ≤ L_max, linearly
 * independent ones only, ordered by level (then by construction order).
 */
export function enumerateMtpBasis(k: Kernels, opts: MtpEnumerationOptions): MtpDag {
  const nS = opts.nSpecies;
  const L = opts.level;
  const E = opts.environments ?? 320;
  const tol = opts.tolerance ?? 1e-8;
  if (!Number.isInteger(L) || L < 2) throw new RangeError(`MTP level must be an integer >= 2, got ${L}`);
  const nMu = Math.min(opts.radialSize, Math.floor((L - 2) / 4) + 1);
  const pen = nS > 1 ? (opts.speciesPenalty ?? 0) : 0;
  if (!Number.isInteger(pen) || pen < 0) throw new RangeError(`MTP species penalty must be an integer >= 0, got ${pen}`);

  // Random environments: per species NB neighbours with random directions and radial values.
  const NB = 12 + 2 * Math.ceil(L / 4);
  const rng = new Rng(k, opts.seed ?? 20251, 0);
  const dirs = rng.normal(E * nS * NB * 3);
  const radial = rng.normal(E * nS * NB * nMu);
  const maxNu = L - 4 >= 0 ? Math.floor((L - 4) / 2) : 0;
  // monomials of every neighbour up to maxNu: mono[env][s][j][global graded index]
  const nc = ncompUpTo(maxNu);
  const mono = new Float64Array(E * nS * NB * nc);
  const ex: [number, number, number][] = [];
  for (let n = 0; n <= maxNu; n++) ex.push(...monomials(n));
  for (let e = 0; e < E * nS * NB; e++) {
    let x = dirs[3 * e], y = dirs[3 * e + 1], z = dirs[3 * e + 2];
    const r = Math.sqrt(x * x + y * y + z * z);
    x /= r; y /= r; z /= r;
    for (let c = 0; c < nc; c++) {
      const [p, q, s] = ex[c];
      let m = 1;
      for (let t = 0; t < p; t++) m *= x;
      for (let t = 0; t < q; t++) m *= y;
      for (let t = 0; t < s; t++) m *= z;
      mono[e * nc + c] = m;
    }
  }
  const gscale = 1 / Math.sqrt(NB);

  const rank = new RankTest(tol);
  const all: Tensor[] = [];
  const byLevel: Tensor[][] = Array.from({ length: L + 1 }, () => []);
  const groupKey = (t: { rank: number; grade: number[] }) => `${t.rank}|${t.grade.join(',')}`;
  const species = (s: number) => (nS > 1 ? `[${s === 0 ? '*' : s}]` : '');

  // Leaves.
  for (let mu = 0; mu < nMu; mu++) {
    for (let nu = 0; 2 + 4 * mu + nu <= L; nu++) {
      for (let s = 0; s < nS; s++) {
        const lev = 2 + 4 * mu + nu + (s > 0 ? pen : 0);
        if (lev > L || (nu > 0 && lev + 2 + nu > L)) continue;
        const nco = ncompOf(nu);
        const base = ncompUpTo(nu - 1);
        const values = new Float64Array(E * nco);
        for (let e = 0; e < E; e++) {
          // channel 0: all neighbours; channel s >= 1: the neighbours of species s
          for (let s2 = s; s2 < (s === 0 ? nS : s + 1); s2++) {
            for (let j = 0; j < NB; j++) {
              const nbr = (e * nS + s2) * NB + j;
              const g = radial[nbr * nMu + mu] * gscale;
              for (let c = 0; c < nco; c++) values[e * nco + c] += g * mono[nbr * nc + base + c];
            }
          }
        }
        const t: Tensor = { id: all.length, level: lev, rank: nu, grade: [mu * nS + s], name: `M${mu},${nu}${species(s)}`, values, leaf: { mu, nu, s } };
        rank.add(groupKey(t), values);
        all.push(t);
        byLevel[t.level].push(t);
      }
    }
  }

  // Contractions and products, by increasing level.
  const termCache = new Map<string, Tensor['local']>();
  for (let l = 4; l <= L; l++) {
    for (let la = 2; 2 * la <= l; la++) {
      const lb = l - la;
      const As = byLevel[la], Bs = byLevel[lb];
      for (let ia = 0; ia < As.length; ia++) {
        const A = As[ia];
        for (let ib = la === lb ? ia : 0; ib < Bs.length; ib++) {
          const B = Bs[ib];
          const kmin = A.rank === 0 && B.rank === 0 ? 0 : 1;
          for (let kk = kmin; kk <= Math.min(A.rank, B.rank); kk++) {
            const r = A.rank + B.rank - 2 * kk;
            if (r > 0 && l + 2 + r > L) continue;
            const same = A === B;
            const ck = `${A.rank},${B.rank},${kk},${same}`;
            let local = termCache.get(ck);
            if (!local) termCache.set(ck, (local = contractionTerms(A.rank, B.rank, kk, same)));
            const nz = ncompOf(r), nx = ncompOf(A.rank), ny = ncompOf(B.rank);
            const values = new Float64Array(E * nz);
            const { x, y, z, c } = local!;
            for (let e = 0; e < E; e++) {
              const ox = e * nx, oy = e * ny, oz = e * nz;
              for (let t = 0; t < c.length; t++) values[oz + z[t]] += c[t] * A.values[ox + x[t]] * B.values[oy + y[t]];
            }
            const grade = [...A.grade, ...B.grade].sort((p, q) => p - q);
            const dot = kk === 0 ? '×' : kk === 1 ? '·' : kk === 2 ? ':' : `·${kk}`;
            const t: Tensor = { id: all.length, level: l, rank: r, grade, name: `(${A.name}${dot}${B.name})`, values, inputs: [A, B], local };
            if (!rank.add(groupKey(t), values)) continue;
            all.push(t);
            byLevel[l].push(t);
          }
        }
      }
    }
  }

  // Outputs: every kept scalar, by level then construction order.
  const outputsT = all.filter((t) => t.rank === 0).sort((p, q) => p.level - q.level || p.id - q.id);
  // Two-body functions M_{μ,0}[s] = Σ_j Q_μ(r_ij) for μ < pairRadial that the level rule left out,
  // appended (μ-major): in the fully linear variant moment μ uses Q_μ alone, so without them the pair
  // energy is a polynomial of degree ⌊(L−2)/4⌋ times (R_cut − r)². They enter no contraction (the
  // many-body part is unchanged) and are independent of everything else (a grade of their own).
  const pairRadial = opts.pairRadial ?? 0;
  if (!Number.isInteger(pairRadial) || pairRadial < 0) throw new RangeError(`MTP pairRadial must be an integer >= 0, got ${pairRadial}`);
  for (let mu = 0; mu < pairRadial; mu++) {
    for (let s = 0; s < nS; s++) {
      if (all.some((t) => t.leaf && t.leaf.mu === mu && t.leaf.nu === 0 && t.leaf.s === s)) continue;
      const t: Tensor = {
        id: all.length, level: 2 + 4 * mu + (s > 0 ? pen : 0), rank: 0, grade: [mu * nS + s], name: `M${mu},0${species(s)}`,
        values: new Float64Array(0), leaf: { mu, nu: 0, s },
      };
      all.push(t);
      outputsT.push(t);
    }
  }
  // Mark what the outputs need.
  const mark = (t: Tensor) => {
    if (t.used) return;
    t.used = true;
    if (t.inputs) {
      mark(t.inputs[0]);
      mark(t.inputs[1]);
    }
  };
  outputsT.forEach(mark);
  for (const t of all) t.values = new Float64Array(0); // free the memory

  // Leaf layout.
  const nuMax = new Array(Math.max(nMu, pairRadial)).fill(-1);
  for (const t of all) if (t.used && t.leaf) nuMax[t.leaf.mu] = Math.max(nuMax[t.leaf.mu], t.leaf.nu);
  let nMuUsed = nuMax.length;
  while (nMuUsed > 0 && nuMax[nMuUsed - 1] < 0) nMuUsed--;
  nuMax.length = nMuUsed;
  for (let mu = 0; mu < nMuUsed; mu++) nuMax[mu] = Math.max(nuMax[mu], 0);
  const leafOffset: number[] = [];
  let leavesPerSpecies = 0;
  for (let mu = 0; mu < nMuUsed; mu++) {
    leafOffset.push(leavesPerSpecies);
    leavesPerSpecies += ncompUpTo(nuMax[mu]);
  }
  // Node numbering: leaves, then intermediate tensors in construction order (topological).
  const firstNode = new Map<Tensor, number>();
  for (const t of all) {
    if (t.used && t.leaf) firstNode.set(t, t.leaf.s * leavesPerSpecies + leafOffset[t.leaf.mu] + ncompUpTo(t.leaf.nu - 1));
  }
  let nNodes = nS * leavesPerSpecies;
  const tx: number[] = [], ty: number[] = [], tz: number[] = [], tc: number[] = [];
  for (const t of all) {
    if (!t.used || t.leaf) continue;
    const base = nNodes;
    firstNode.set(t, base);
    nNodes += ncompOf(t.rank);
    const bx = firstNode.get(t.inputs![0])!, by = firstNode.get(t.inputs![1])!;
    const { x, y, z, c } = t.local!;
    // terms ordered by target component so the forward pass fills one node at a time
    const order = Array.from(c.keys()).sort((p, q) => z[p] - z[q] || x[p] - x[q] || y[p] - y[q]);
    for (const q of order) {
      tx.push(bx + x[q]);
      ty.push(by + y[q]);
      tz.push(base + z[q]);
      tc.push(c[q]);
    }
  }
  const terms = new Int32Array(3 * tx.length);
  for (let q = 0; q < tx.length; q++) {
    terms[3 * q] = tx[q];
    terms[3 * q + 1] = ty[q];
    terms[3 * q + 2] = tz[q];
  }
  return {
    nSpecies: nS,
    nMu: nMuUsed,
    nuMax,
    leavesPerSpecies,
    leafOffset,
    nNodes,
    terms,
    coefs: Float64Array.from(tc),
    outputs: Int32Array.from(outputsT.map((t) => firstNode.get(t)!)),
    outputLevels: Int32Array.from(outputsT.map((t) => t.level)),
    outputNames: outputsT.map((t) => t.name),
    rankTest: { minKept: rank.minKept, maxRejected: rank.maxRejected, environments: E, candidates: rank.candidates, maxGroup: rank.maxGroup },
  };
}
