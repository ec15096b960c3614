// D-optimal active set (MaxVol) and the extrapolation grade of a linear MLIP (physics.md 6.6).
//
// Rows b = ∂E/∂θ of configurations (configuration mode) or b_i = ∂E_i/∂θ of atoms (neighbourhood
// mode) are compared against an m×m matrix A of training rows chosen to maximise |det A|; the grade of
// a row is γ = max_j |(b A⁻¹)_j| (γ ≤ 1: interpolation). Columns are scaled to unit RMS over the
// training rows first (γ does not depend on the scaling; the conditioning of A does).
//
// When the training rows span fewer than m dimensions (fewer configurations than parameters in
// configuration mode, or a species-pair that never occurs), the missing directions are filled with
// "virtual" rows ε·e_k, ε = 1e-8 × the largest row norm: any row with a component along a direction
// never seen gets a grade of about component/ε (a clear extrapolation), and MaxVol swaps a virtual row
// out as soon as a real row carries more volume in its direction.
import { gemm } from '../linalg/gemm.js';
import type { Structure } from '../structure/structure.js';
import type { Kernels } from '../wasm/kernels.js';
import type { LinearBasis } from './linear-basis.js';

export type ActiveSetMode = 'configuration' | 'neighbourhood';

/** Where an active row comes from: a training configuration (and atom, in neighbourhood mode); config −1: virtual. */
export interface RowSource {
  config: number;
  atom: number;
}

/** Relative size of the virtual rows and rank tolerance of the initial selection. */
export const VIRTUAL_ROW_SCALE = 1e-8;
/** MaxVol stops when every |C_ij| ≤ 1 + this (physics.md 6.6). */
export const MAXVOL_TOLERANCE = 1e-3;

export class ActiveSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActiveSetError';
  }
}

// ------------------------------------------------------------------------------------------------
// Dense helpers (f64, row-major).

/** Inverse of an n×n matrix by LU with partial pivoting; throws on a singular matrix. */
export function luInverse(a: ArrayLike<number>, n: number): Float64Array {
  const lu = Float64Array.from(a);
  const piv = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    let p = c, best = Math.abs(lu[c * n + c]);
    for (let r = c + 1; r < n; r++) {
      const v = Math.abs(lu[r * n + c]);
      if (v > best) {
        best = v;
        p = r;
      }
    }
    if (!(best > 0)) throw new ActiveSetError(`invert: matrix is singular (column ${c})`);
    piv[c] = p;
    if (p !== c) for (let j = 0; j < n; j++) [lu[c * n + j], lu[p * n + j]] = [lu[p * n + j], lu[c * n + j]];
    const d = lu[c * n + c];
    for (let r = c + 1; r < n; r++) {
      const f = (lu[r * n + c] /= d);
      if (f !== 0) for (let j = c + 1; j < n; j++) lu[r * n + j] -= f * lu[c * n + j];
    }
  }
  // Solve for the identity, then undo the row swaps as column swaps of the inverse.
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    const p = piv[c];
    if (p !== c) for (let j = 0; j < n; j++) [inv[c * n + j], inv[p * n + j]] = [inv[p * n + j], inv[c * n + j]];
  }
  for (let j = 0; j < n; j++) {
    for (let r = 1; r < n; r++) {
      let s = inv[r * n + j];
      for (let c = 0; c < r; c++) s -= lu[r * n + c] * inv[c * n + j];
      inv[r * n + j] = s;
    }
    for (let r = n - 1; r >= 0; r--) {
      let s = inv[r * n + j];
      for (let c = r + 1; c < n; c++) s -= lu[r * n + c] * inv[c * n + j];
      inv[r * n + j] = s / lu[r * n + r];
    }
  }
  return inv;
}

/** C = X B (n×m times m×m) on the GEMM kernel. */
function times(k: Kernels, x: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  return gemm(k, { rows: n, cols: m, data: x }, { rows: m, cols: m, data: b }).data;
}

/** γ_i = max_j |(x_i A⁻¹)_j| for the n rows of x. */
function rowGrades(k: Kernels, x: Float64Array, n: number, inverse: Float64Array, m: number): Float64Array {
  const c = times(k, x, n, inverse, m);
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let j = 0; j < m; j++) v = Math.max(v, Math.abs(c[i * m + j]));
    g[i] = v;
  }
  return g;
}

// ------------------------------------------------------------------------------------------------
// MaxVol.

export interface MaxvolResult {
  /** Indices (rows of X) of the active rows; active[j] is row j of A. */
  active: Int32Array;
  /** A⁻¹ (m×m), recomputed from the final rows. */
  inverse: Float64Array;
  swaps: number;
  /** max |C_ij| at the end (≤ 1 + tolerance when converged). */
  maxC: number;
}

/**
 * MaxVol (physics.md 6.6) on the n×m rows X (n ≥ m) from the initial active rows `init` (m distinct
 * indices, A nonsingular): swap until every |C_ij| = |(X A⁻¹)_ij| ≤ 1 + tol.
 */
export function maxvol(
  k: Kernels,
  x: Float64Array,
  n: number,
  m: number,
  init: ArrayLike<number>,
  opts: { tol?: number; maxSwaps?: number } = {},
): MaxvolResult {
  if (x.length !== n * m) throw new ActiveSetError(`maxvol: X must hold ${n}×${m} values, got ${x.length}`);
  if (init.length !== m) throw new ActiveSetError(`maxvol: ${init.length} initial rows for ${m} columns`);
  const tol = opts.tol ?? MAXVOL_TOLERANCE;
  const maxSwaps = opts.maxSwaps ?? 100 * m + 100;
  const active = Int32Array.from(init);
  const rowsOf = (idx: Int32Array) => {
    const a = new Float64Array(m * m);
    for (let j = 0; j < m; j++) a.set(x.subarray(idx[j] * m, idx[j] * m + m), j * m);
    return a;
  };
  let inverse = luInverse(rowsOf(active), m);
  let swaps = 0;
  // Rounds: rank-one updates, then a fresh inverse and C, until the fresh C confirms convergence.
  for (;;) {
    const c = times(k, x, n, inverse, m);
    let bi = 0, bj = 0, best = 0;
    const findMax = () => {
      best = 0;
      for (let t = 0; t < n * m; t++) {
        const v = Math.abs(c[t]);
        if (v > best) {
          best = v;
          bi = (t / m) | 0;
          bj = t - bi * m;
        }
      }
    };
    findMax();
    if (best <= 1 + tol || swaps >= maxSwaps) return { active, inverse, swaps, maxC: best };
    let sinceFresh = 0;
    while (best > 1 + tol && swaps < maxSwaps && sinceFresh < m) {
      const i = bi, j = bj;
      const cij = c[i * m + j];
      const ci = Float64Array.from(c.subarray(i * m, i * m + m));
      ci[j] -= 1;
      // C ← C − C[:,j] (C[i,:] − e_j)/C_ij ;  A⁻¹ ← A⁻¹ − A⁻¹[:,j] (C[i,:] − e_j)/C_ij
      for (let r = 0; r < n; r++) {
        const f = c[r * m + j] / cij;
        if (f !== 0) for (let q = 0; q < m; q++) c[r * m + q] -= f * ci[q];
      }
      for (let r = 0; r < m; r++) {
        const f = inverse[r * m + j] / cij;
        if (f !== 0) for (let q = 0; q < m; q++) inverse[r * m + q] -= f * ci[q];
      }
      active[j] = i;
      swaps++;
      sinceFresh++;
      findMax();
    }
    inverse = luInverse(rowsOf(active), m);
  }
}

/**
 * Initial rows by greedy pivoted Gram–Schmidt (QR with column pivoting on Xᵀ): the row with the
 * largest residual norm first. Stops at `count` rows or when the largest residual falls below `rankTol`
 * times the largest row norm. Returns the chosen rows and the orthonormal basis of their span.
 */
function pivotedRows(x: Float64Array, n: number, m: number, rankTol: number, count = m): { rows: number[]; q: Float64Array[] } {
  const res = Float64Array.from(x);
  const norm2 = new Float64Array(n);
  let maxNorm = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += res[i * m + j] ** 2;
    norm2[i] = s;
    maxNorm = Math.max(maxNorm, Math.sqrt(s));
  }
  const rows: number[] = [];
  const q: Float64Array[] = [];
  const taken = new Uint8Array(n);
  while (rows.length < count) {
    let p = -1, best = 0;
    for (let i = 0; i < n; i++) if (!taken[i] && norm2[i] > best) [best, p] = [norm2[i], i];
    if (p < 0 || Math.sqrt(best) <= rankTol * maxNorm) break;
    // Recompute the pivot's residual norm exactly (the running norms lose accuracy).
    const v = Float64Array.from(res.subarray(p * m, p * m + m));
    for (const u of q) {
      let d = 0;
      for (let j = 0; j < m; j++) d += u[j] * v[j];
      for (let j = 0; j < m; j++) v[j] -= d * u[j];
    }
    let len2 = 0;
    for (let j = 0; j < m; j++) len2 += v[j] * v[j];
    const len = Math.sqrt(len2);
    if (len <= rankTol * maxNorm) {
      taken[p] = 1;
      continue;
    }
    for (let j = 0; j < m; j++) v[j] /= len;
    taken[p] = 1;
    rows.push(p);
    q.push(v);
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      let d = 0;
      for (let j = 0; j < m; j++) d += v[j] * res[i * m + j];
      let s = 0;
      for (let j = 0; j < m; j++) {
        const r = (res[i * m + j] -= d * v[j]);
        s += r * r;
      }
      norm2[i] = s;
    }
  }
  return { rows, q };
}

// ------------------------------------------------------------------------------------------------
// The active set of a trained model.

/** Float64 values as little-endian bytes in base64 (btoa exists in browsers and Node). */
export function float64ToBase64(v: Float64Array): string {
  const bytes = new Uint8Array(v.length * 8);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) dv.setFloat64(8 * i, v[i], true);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Inverse of float64ToBase64; undefined for malformed input. */
export function base64ToFloat64(s: string): Float64Array | undefined {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    return undefined;
  }
  if (bin.length % 8 !== 0) return undefined;
  const dv = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) dv.setUint8(i, bin.charCodeAt(i));
  const out = new Float64Array(bin.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat64(8 * i, true);
  return out;
}

export interface ActiveSetJson {
  mode: ActiveSetMode;
  /** Column scale (RMS of each column over the training rows). */
  columnScale: number[];
  /**
   * The m active rows divided by the column scale: the m×m row-major float64 values, little-endian,
   * in base64 (exact and half the size of decimal text), or m arrays of m numbers.
   */
  rows: string | number[][];
  /** Origin of each row: [config, atom] (atom −1 in configuration mode; config −1 for a virtual row). */
  sources: [number, number][];
}

export interface ConfigGrade {
  /** γ of the configuration: the maximum over its rows. */
  grade: number;
  /** γ per atom (neighbourhood mode). */
  atoms?: Float64Array;
}

export class ActiveSet {
  /** A⁻¹ in scaled columns. */
  readonly inverse: Float64Array;

  constructor(
    readonly mode: ActiveSetMode,
    readonly m: number,
    readonly columnScale: Float64Array,
    /** Scaled rows, m×m row-major. */
    readonly rows: Float64Array,
    readonly sources: RowSource[],
  ) {
    if (columnScale.length !== m || rows.length !== m * m || sources.length !== m) {
      throw new ActiveSetError(`active set: expected ${m} column scales, ${m}×${m} rows and ${m} sources`);
    }
    this.inverse = luInverse(rows, m);
  }

  /** Number of virtual rows (directions the training data never spanned). */
  get virtualRows(): number {
    return this.sources.filter((s) => s.config < 0).length;
  }

  /** γ of each of the n unscaled rows b (row-major n×m). */
  gradeRows(k: Kernels, b: Float64Array, n: number): Float64Array {
    const m = this.m;
    if (b.length !== n * m) throw new ActiveSetError(`grade: rows must hold ${n}×${m} values, got ${b.length}`);
    const s = new Float64Array(n * m);
    for (let t = 0; t < n * m; t++) s[t] = b[t] / this.columnScale[t % m];
    return rowGrades(k, s, n, this.inverse, m);
  }

  /** The rows this active set compares for a configuration (its energy row, or per-atom rows). */
  configRows(basis: LinearBasis, s: Structure): { rows: Float64Array; n: number } {
    if (this.mode === 'configuration') return { rows: basis.design(s).energy, n: 1 };
    const d = basis.design(s, { atoms: true });
    if (!d.atoms) throw new ActiveSetError('the basis did not return per-atom rows (neighbourhood mode)');
    return { rows: d.atoms, n: s.natoms };
  }

  /** Extrapolation grade of a configuration (and of its atoms in neighbourhood mode). */
  grade(k: Kernels, basis: LinearBasis, s: Structure): ConfigGrade {
    const { rows, n } = this.configRows(basis, s);
    const g = this.gradeRows(k, rows, n);
    let grade = 0;
    for (const v of g) grade = Math.max(grade, v);
    return this.mode === 'configuration' ? { grade } : { grade, atoms: g };
  }

  toJSON(): ActiveSetJson {
    const m = this.m;
    return {
      mode: this.mode,
      columnScale: Array.from(this.columnScale),
      rows: float64ToBase64(this.rows),
      sources: this.sources.map((s) => [s.config, s.atom]),
    };
  }

  /** Rebuild from JSON; `fail(field, reason)` reports a malformed field (e.g. naming the file). */
  static fromJSON(o: unknown, m: number, fail: (field: string, reason: string) => never = (f, r) => {
    throw new ActiveSetError(`${f}: ${r}`);
  }): ActiveSet {
    if (typeof o !== 'object' || o === null || Array.isArray(o)) fail('activeSet', 'must be an object');
    const a = o as Record<string, unknown>;
    if (a.mode !== 'configuration' && a.mode !== 'neighbourhood') fail('activeSet.mode', `must be "configuration" or "neighbourhood", got ${JSON.stringify(a.mode)}`);
    const numArray = (v: unknown, len: number, field: string): number[] => {
      if (!Array.isArray(v) || v.length !== len || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
        fail(field, `must be an array of ${len} finite numbers`);
      return v as number[];
    };
    const scale = numArray(a.columnScale, m, 'activeSet.columnScale');
    if (!scale.every((v) => v > 0)) fail('activeSet.columnScale', 'must be positive');
    let rows: Float64Array = new Float64Array(m * m);
    if (typeof a.rows === 'string') {
      const r = base64ToFloat64(a.rows);
      if (!r || r.length !== m * m) fail('activeSet.rows', `must encode ${m}×${m} float64 values in base64`);
      rows = r!;
      if (!rows.every(Number.isFinite)) fail('activeSet.rows', 'contains NaN or Inf');
    } else {
      if (!Array.isArray(a.rows) || a.rows.length !== m) fail('activeSet.rows', `must be base64 or an array of ${m} rows`);
      (a.rows as unknown[]).forEach((r, j) => rows.set(numArray(r, m, `activeSet.rows[${j}]`), j * m));
    }
    if (!Array.isArray(a.sources) || a.sources.length !== m) fail('activeSet.sources', `must be an array of ${m} [config, atom] pairs`);
    const sources = (a.sources as unknown[]).map((s, j) => {
      const v = numArray(s, 2, `activeSet.sources[${j}]`);
      if (!v.every(Number.isInteger)) fail(`activeSet.sources[${j}]`, 'must be integers');
      return { config: v[0], atom: v[1] };
    });
    try {
      return new ActiveSet(a.mode as ActiveSetMode, m, Float64Array.from(scale), rows, sources);
    } catch (e) {
      if (e instanceof ActiveSetError) fail('activeSet.rows', 'the active set matrix is singular');
      throw e;
    }
  }
}

/** Stacked rows of configurations for an active set: returns rows (n×m) and their sources. */
export function collectRows(
  basis: LinearBasis,
  structures: readonly Structure[],
  mode: ActiveSetMode,
  onProgress?: (done: number, total: number) => void,
): { rows: Float64Array; sources: RowSource[] } {
  const m = basis.nParams;
  const parts: Float64Array[] = [];
  const sources: RowSource[] = [];
  structures.forEach((s, c) => {
    if (mode === 'configuration') {
      parts.push(basis.design(s).energy);
      sources.push({ config: c, atom: -1 });
    } else {
      const d = basis.design(s, { atoms: true });
      if (!d.atoms) throw new ActiveSetError('the basis did not return per-atom rows (neighbourhood mode)');
      parts.push(d.atoms);
      for (let i = 0; i < s.natoms; i++) sources.push({ config: c, atom: i });
    }
    onProgress?.(c + 1, structures.length);
  });
  const rows = new Float64Array(sources.length * m);
  let o = 0;
  for (const p of parts) {
    rows.set(p, o);
    o += p.length;
  }
  return { rows, sources };
}

/**
 * The D-optimal active set of training rows (n×m, unscaled) with their sources: column scaling,
 * pivoted-QR start (virtual rows for directions the rows do not span), MaxVol.
 */
export function buildActiveSet(
  k: Kernels,
  mode: ActiveSetMode,
  rows: Float64Array,
  sources: readonly RowSource[],
  m: number,
): { activeSet: ActiveSet; swaps: number; maxC: number } {
  const n = sources.length;
  if (rows.length !== n * m) throw new ActiveSetError(`active set: rows must hold ${n}×${m} values, got ${rows.length}`);
  if (n === 0) throw new ActiveSetError('active set: no training rows');
  const scale = new Float64Array(m);
  for (let t = 0; t < n * m; t++) scale[t % m] += rows[t] * rows[t];
  for (let j = 0; j < m; j++) scale[j] = Math.sqrt(scale[j] / n) || 1;
  const x = new Float64Array(n * m);
  for (let t = 0; t < n * m; t++) x[t] = rows[t] / scale[t % m];
  let maxNorm = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += x[i * m + j] ** 2;
    maxNorm = Math.max(maxNorm, Math.sqrt(s));
  }
  const { rows: init, q } = pivotedRows(x, n, m, VIRTUAL_ROW_SCALE);
  // Virtual rows ε e_k for the directions not spanned, chosen by the same pivoting on ε·I.
  const eps = VIRTUAL_ROW_SCALE * maxNorm;
  const virtual: number[] = [];
  if (init.length < m) {
    const id = new Float64Array(m * m);
    for (let j = 0; j < m; j++) id[j * m + j] = 1;
    for (const u of q) {
      for (let r = 0; r < m; r++) {
        const d = u[r];
        if (d !== 0) for (let j = 0; j < m; j++) id[r * m + j] -= d * u[j];
      }
    }
    const extra = pivotedRows(id, m, m, 0, m - init.length).rows;
    virtual.push(...extra);
  }
  const nv = virtual.length;
  if (init.length + nv !== m) throw new ActiveSetError('active set: could not complete the basis with virtual rows');
  const all = new Float64Array((n + nv) * m);
  all.set(x);
  virtual.forEach((kk, v) => (all[(n + v) * m + kk] = eps));
  const start = [...init, ...virtual.map((_, v) => n + v)];
  const r = maxvol(k, all, n + nv, m, start);
  const act = new Float64Array(m * m);
  const src: RowSource[] = [];
  for (let j = 0; j < m; j++) {
    act.set(all.subarray(r.active[j] * m, r.active[j] * m + m), j * m);
    src.push(r.active[j] < n ? { ...sources[r.active[j]] } : { config: -1, atom: -1 });
  }
  return { activeSet: new ActiveSet(mode, m, scale, act, src), swaps: r.swaps, maxC: r.maxC };
}

export interface Selection {
  /** Indices of the selected candidates, by decreasing grade. */
  selected: number[];
  /** Grade of every candidate against the current active set. */
  grades: number[];
}

/**
 * The most informative candidates (physics.md 6.6): append the candidates' rows to the active set,
 * rerun MaxVol, and select the candidates that own a row of the new active set — at most `cap` of
 * them, those of highest grade against the current set. Candidates below `minGrade` are ignored.
 */
export function selectCandidates(
  k: Kernels,
  active: ActiveSet,
  candidates: readonly { rows: Float64Array; n: number }[],
  opts: { cap?: number; minGrade?: number } = {},
): Selection {
  const m = active.m;
  const cap = opts.cap ?? 20;
  const minGrade = opts.minGrade ?? 1 + MAXVOL_TOLERANCE;
  const grades = candidates.map((c) => {
    const g = active.gradeRows(k, c.rows, c.n);
    return g.reduce((a, v) => Math.max(a, v), 0);
  });
  const eligible = candidates.map((_, i) => i).filter((i) => grades[i] > minGrade);
  if (eligible.length === 0 || cap <= 0) return { selected: [], grades };
  const n = m + eligible.reduce((a, i) => a + candidates[i].n, 0);
  const x = new Float64Array(n * m);
  x.set(active.rows);
  const owner = new Int32Array(n).fill(-1);
  let o = m;
  for (const i of eligible) {
    const c = candidates[i];
    for (let t = 0; t < c.n * m; t++) x[o * m + t] = c.rows[t] / active.columnScale[t % m];
    owner.fill(i, o, o + c.n);
    o += c.n;
  }
  const r = maxvol(k, x, n, m, Array.from({ length: m }, (_, j) => j));
  const entered = new Set<number>();
  for (const a of r.active) if (owner[a] >= 0) entered.add(owner[a]);
  const selected = [...entered].sort((a, b) => grades[b] - grades[a] || a - b).slice(0, cap);
  return { selected, grades };
}
