// Free-energy Hessian of the SSCHA in the static-bubble approximation (physics.md 5.11):
//
//   Φ⁽³⁾_{aμν} = −⟨(y_μ y_ν − δ_μν) δf_a⟩ / (A_μ A_ν)          (weighted ensemble average)
//   Π_ab       = Σ_μν ℓ_μν Φ⁽³⁾_{aμν} Φ⁽³⁾_{bμν},    H = Φ + Π   (unbiased estimator of it: see "Estimator")
//   ℓ_μν       = ½(A_μ² − A_ν²)/(ω_μ² − ω_ν²),  degenerate limit (1/(4ω)) dA²/dω   (physics.md 5.6)
//
// Self-contained, plain-array interface: the SSCHA core passes y (N_c×M), δf (N_c×n3), w, ω, A, T, Φ
// (layout of docs/sscha.md) and gets H and Π back (n3×n3, eV/Å²). Numerics run in the WebAssembly
// module: dgemm plus six element-wise kernels in assembly/sscha/hessian.ts.
//
// Algorithm. Write W = Σ_i w_i, s_a = Σ_i w_i δf_ia, Z_a = Σ_i w_i δf_ia y_i y_iᵀ (M×M). Then
//   Φ⁽³⁾_a = −(Z_a − s_a I) / (W A Aᵀ),   T_a ≡ ℓ ∘ Φ⁽³⁾_a / (A Aᵀ) = −Q ∘ (Z_a − s_a I)/W,  Q = ℓ/(A² A²ᵀ).
// Because Φ⁽³⁾_b is itself linear in the data, the contraction can be re-associated:
//   Π_ab = ⟨ℓ∘Φ⁽³⁾_a, Φ⁽³⁾_b⟩ = Σ_i c_ia δf_ib,   c_ia = −(w_i/W) (y_iᵀ T_a y_i − tr T_a).
// So for a block of B rows a:
//   1. Y'   = [diag(w∘δf_a1) Y | … | diag(w∘δf_aB) Y]        N_c × BM       (sschaHessScale)
//   2. Zᵀ   = Y'ᵀ Y                                          BM × M         (dgemm, 2 N_c M² B flop)
//   3. T_a  = −Q ∘ (Z_a − s_a I)/W in place, tr T_a                         (sschaHessTransform)
//   4. P    = Y [T_a1 | … | T_aB]                            N_c × BM       (dgemm, 2 N_c M² B flop)
//   5. c_ia = −(w_i/W)(Σ_ν P_iν y_iν − tr T_a)                B × N_c        (sschaHessQuad)
//   6. Π_{a,:} = C · δF                                      B × n3         (dgemm, 2 N_c n3 B flop)
// Cost 4 N_c M² flop per row a, memory ≈ 8·(N_c·M + M²)·B bytes per block on top of the inputs; Φ⁽³⁾_b for
// the other index b is never formed. method 'stream' is the literal form instead (Φ⁽³⁾_b formed for
// blocks of b and contracted by one GEMM (rows a × M²)·(M² × b)), which costs 2 N_c M² per b for
// every block of a: it exists as an independent cross-check and for callers who want Φ⁽³⁾ itself.
//
// Estimator (default 'unbiased'). Written over configurations, the plug-in contraction above is
//   Π_ab = (1/W²) Σ_ij w_i w_j δf_ia δf_jb K_ij,   K_ij = Σ_μν Q_μν (y_iμ y_iν − δ_μν)(y_jμ y_jν − δ_μν),
// and its i = j terms (for antithetic pairs: i, j in the same pair, which are not independent) are the
// squared noise of Φ⁽³⁾: since ℓ ≤ 0 they bias Π towards softer modes by ∝ M²/N_c (−6 cm⁻¹ on a
// −4 cm⁻¹ bubble shift at 4000 configurations in the python-sscha comparison). The default removes
// them, keeping only pairs of distinct units u ≠ v (unit = antithetic pair, or one configuration):
//   Π^U_ab = Σ_{u≠v} Σ_{i∈u, j∈v} w_i w_j δf_ia δf_jb K_ij / Σ_{u≠v} W_u W_v,   W_u = Σ_{i∈u} w_i,
// a U-statistic: for a random ensemble at the generating point (w = 1) E[Π^U] = Σ ℓ E[Φ⁽³⁾]E[Φ⁽³⁾]
// exactly, for any N_c ≥ 2 units (with importance weights it is the usual ratio estimator, consistent).
// In the regrouped algorithm this is a correction of the coefficients before step 6:
//   c^U_ia = α c_ia − β w_i Σ_{j∈u(i)} K_ij w_j δf_ja,   α = W²/D, β = 1/D,  D = W² − Σ_u W_u²,
// where only K_ii and K_{i,partner} are needed: K_ij = p_ijᵀ Q p_ij − Σ_μ Q_μμ(y_iμ² + y_jμ²) + tr Q with
// p_ij = y_i ∘ y_j, formed for ≤ 1.5 N_c vectors in chunks of PAIR_CHUNK by one dgemm each (3 N_c M²
// flop once per pass, i.e. less than one row a; kernels sschaHessPairVec/Dot/Corr). For 'stream' the
// same correction is one extra GEMM C·δF per block. 'biased' (the plug-in form) is kept for comparison;
// it is the exact one for deterministic quadrature "ensembles" (Gauss–Hermite grids), where the
// U-statistic's removal of the diagonal has no meaning.
//
// Symmetrised Φ⁽³⁾ (physics.md 5.11, option `thirdOrderSymmetry`). The estimate of the third-order
// tensor is symmetric only in its two displacement indices, and a random ensemble breaks the space
// group. With the option, Φ⁽³⁾ is formed in Cartesian form for all rows, Φ⁽³⁾_abc = Σ_μν Φ⁽³⁾_aμν
// E_μb E_νc (E_μ = M^{1/2}e_μ, so that Σ_b E_μb ẽ_κb = δ_μκ; the translations drop out as in the mixed
// form), projected onto the fully symmetric subspace — the average over the 6 index permutations and
// over the space group of the supercell (translations included: (g·Φ)_{π(i)π(j)π(k)} = R⊗R⊗R Φ_ijk),
// the same projection as CellConstructor's ApplySymmetryToTensor3 used by python-sscha — transformed
// back to the mixed form and contracted, Π = Σ_μν ℓ_μν Φ⁽³⁾ˢ_aμν Φ⁽³⁾ˢ_bμν, over all rows. Memory and
// time grow as (3N)³ and (3N)⁴, so this is for small supercells (the caller decides; `sschaHessian`
// switches it on up to MAX_SYMMETRIC_N3). Estimators with it: 'biased' = the plug-in product of the
// symmetrised full-ensemble tensor (python-sscha's estimator); 'unbiased' = the grouped U-statistic
// over K = `symmetryGroups` disjoint groups of whole units (default 8), Π = Σ_{g≠h} W_g W_h S_g·ℓ·S_h /
// Σ_{g≠h} W_g W_h with S_g the symmetrised tensor of group g (independent groups: no squared noise),
// which needs K symmetrisations instead of one per unit.
//
// Rows: Π is translation invariant, so only the 3n rows of the primitive-cell atoms are needed
// (`primitiveRows` + `translations`, the atom permutations of the supercell translations); the
// full matrix is filled as Π[3t(p)+α, 3t(j)+β] = Π[3p+α, 3j+β]. The result is then symmetrised,
// Π ← (Π + Πᵀ)/2 (the row estimates are not exactly symmetric once filled by translation, and only
// symmetric to round-off otherwise). The caller's rank-2 symmetrisation and ASR can be passed as a
// hook (`symmetrize`) and are applied to H (and to the split halves).
import { Kernels } from '../wasm/kernels.js';
import { eighValues } from '../linalg/eigh.js';
import { gemm } from '../linalg/gemm.js';
import { expm1 } from '../numeric/detmath.js';
import { HBAR, KB } from '../phonons/units.js';

/** Inputs (layout of docs/sscha.md; all row-major). */
export interface StaticBubbleInput {
  /** 3N Cartesian components of the supercell. */
  n3: number;
  /** Number of auxiliary modes (n3 − 3 for a crystal, n3 for a pinned model). */
  M: number;
  /** ẽ_μ rows (M×n3, amu^-1/2). Not needed for Π in Cartesian rows; only its size is checked. */
  Etilde?: ArrayLike<number>;
  /** ω_μ (τ⁻¹), > 0. */
  omega: ArrayLike<number>;
  /** A_μ = √(ħ(2n_μ+1)/(2ω_μ)) (√amu·Å); checked against ω and T to 1e-8 relative. */
  A: ArrayLike<number>;
  /** Temperature (K), ≥ 0; T = 0 is exact (n = 0). */
  T: number;
  /** Normalised normal coordinates y_iμ (N_c×M). */
  y: ArrayLike<number>;
  /** δf_ia = f_ia − f_h,ia (N_c×n3, eV/Å). */
  df: ArrayLike<number>;
  /** Importance weights (N_c, ≥ 0, not all zero); default all 1. */
  w?: ArrayLike<number>;
  /** Auxiliary force constants Φ (n3×n3, eV/Å²). */
  phi: ArrayLike<number>;
  /** Per-atom masses (N, amu): needed with `thirdOrderSymmetry` (with Etilde, E_μ = M ẽ_μ). */
  masses?: ArrayLike<number>;
  /** Rows a to compute (e.g. the 3n rows of the primitive-cell atoms). Requires `translations`. */
  primitiveRows?: ArrayLike<number>;
  /**
   * Supercell translations as atom permutations: translations[t][j] = index of the atom that atom j
   * is carried to by translation t. The identity may be included or not. Together with
   * `primitiveRows` they must reach every row exactly once.
   */
  translations?: ArrayLike<ArrayLike<number>>;
}

export interface SplitHalfOptions {
  /** How many of the lowest eigenvalues to report (default 6). */
  nLowest?: number;
  /** Per-atom masses (N, amu): eigenvalues of M^-1/2 H M^-1/2 (ω², τ⁻²) instead of H (eV/Å²). */
  masses?: ArrayLike<number>;
}

export interface StaticBubbleOptions {
  /** 'reassociated' (default, 4 N_c M² flop per row a) or 'stream' (explicit Φ⁽³⁾_b, cross-check). */
  method?: 'reassociated' | 'stream';
  /**
   * 'unbiased' (default): the U-statistic over pairs of distinct units (antithetic pairs, or single
   * configurations with pairs = false), unbiased for a random ensemble at any N_c. 'biased': the
   * plug-in product of the raw Φ⁽³⁾ estimate with itself (softens by ∝ 1/N_c; kept for comparison,
   * and it is the right one for deterministic quadrature "ensembles" such as Gauss–Hermite grids).
   */
  estimator?: 'unbiased' | 'biased';
  /** Rows a per block (default: from memoryBudgetBytes). */
  blockRows?: number;
  /** Budget for the kernel buffers of this call (default 128 MiB); sets the block size. */
  memoryBudgetBytes?: number;
  /** Caller's rank-2 symmetrisation and ASR, applied to H (n3×n3) in place or returning a new array. */
  symmetrize?: (H: Float64Array, n3: number) => Float64Array | void;
  /** Delete-one-group jackknife with this many groups (≥ 2): element-wise σ of Π. 0 (default): none. */
  errorGroups?: number;
  /**
   * Configurations 2k, 2k+1 are an antithetic pair (default: N_c even): they are one statistical unit
   * of the unbiased estimator, and are kept together in jackknife groups and halves.
   */
  pairs?: boolean;
  /** Also compute H on each half of the ensemble and report the spread of the lowest eigenvalues. */
  splitHalf?: boolean | SplitHalfOptions;
  /**
   * Space group of the supercell (translations included; e.g. a Symmetrizer): symmetrise Φ⁽³⁾ over it
   * and over index permutations before the contraction (see the module comment; needs input.Etilde and
   * input.masses; ignores primitiveRows: all rows are formed).
   */
  thirdOrderSymmetry?: ThirdOrderSymmetry;
  /** Groups of the grouped U-statistic with thirdOrderSymmetry and estimator 'unbiased' (default 8). */
  symmetryGroups?: number;
}

/** The operations a rank-3 symmetrisation needs (a Symmetrizer has them). */
export interface ThirdOrderSymmetry {
  /** Cartesian rotations, 9 numbers per operation (row-major). */
  rotations: ArrayLike<number>;
  /** Atom maps: perms[g][i] = image of atom i under operation g. */
  perms: readonly ArrayLike<number>[];
  /** Optional factorisation G = representatives × translations (Symmetrizer.factorised). */
  factorised?: boolean;
  translationOps?: readonly number[];
  representativeOps?: readonly number[];
}

export interface HessianStats {
  /** Wall time of the whole call (ms). */
  timeMs: number;
  /** Floating-point operations of the GEMMs of one pass over the rows (excluding jackknife/halves). */
  flops: number;
  /** Rows a per block. */
  blockRows: number;
  /** Rows a computed (per pass). */
  rowsComputed: number;
  /** Largest total of this module's kernel buffers alive at once (bytes). */
  peakBytes: number;
  /** dgemm's own packing scratch, allocated inside each call (bytes, ≈ 2.3 MB, freed on return). */
  gemmScratchBytes: number;
  /** Size of the WebAssembly memory after the call (it never shrinks). */
  wasmMemoryBytes: number;
  /** Passes over the ensemble: 1 + errorGroups + (2 if splitHalf). */
  passes: number;
}

export interface SplitHalfResult {
  /** H of each half (after the symmetrize hook), n3×n3. */
  hessians: [Float64Array, Float64Array];
  /** Lowest eigenvalues of H from each half (ascending). */
  lowest: [Float64Array, Float64Array];
  /** Lowest eigenvalues of H from the whole ensemble. */
  lowestFull: Float64Array;
  /** |λ_k(half 1) − λ_k(half 2)|; σ(λ_k of the whole) ≈ spread/2. */
  spread: Float64Array;
}

export interface StaticBubbleResult {
  /** H = Φ + Π (n3×n3, eV/Å²), after the `symmetrize` hook if given. */
  hessian: Float64Array;
  /** Π (n3×n3, eV/Å²), symmetrised (Π + Πᵀ)/2. */
  pi: Float64Array;
  /** Jackknife standard error of each element of Π (when errorGroups ≥ 2). */
  errorEstimate?: Float64Array;
  splitHalf?: SplitHalfResult;
  stats: HessianStats;
}

// ---------------------------------------------------------------------------------------------
// ℓ_μν

/** Bose occupation n(ω) and dn/dω at temperature T (T = 0: 0 and 0). */
function bose(omega: number, T: number): { n: number; dn: number } {
  if (T === 0) return { n: 0, dn: 0 };
  const beta = HBAR / (KB * T);
  const n = 1 / expm1(beta * omega);
  return { n, dn: -beta * n * (n + 1) };
}

/** A² = ħ(2n+1)/(2ω) (amu·Å²). */
export function sschaA2(omega: number, T: number): number {
  return (HBAR * (2 * bose(omega, T).n + 1)) / (2 * omega);
}

/** dA²/dω = −ħ(2n+1)/(2ω²) + (ħ/ω) dn/dω. */
export function sschaDA2dOmega(omega: number, T: number): number {
  const { n, dn } = bose(omega, T);
  return (-HBAR * (2 * n + 1)) / (2 * omega * omega) + (HBAR / omega) * dn;
}

/** True when modes μ, ν count as degenerate: |ω_μ − ω_ν| < 1e-5·√(ω_μ ω_ν). */
export function isDegenerate(wm: number, wn: number): boolean {
  return Math.abs(wm - wn) < 1e-5 * Math.sqrt(wm * wn);
}

/** ℓ_μν (M×M, amu·Å²·τ²), ≤ 0; degenerate pairs use (1/(4ω̄)) dA²/dω at ω̄ = √(ω_μω_ν). */
export function sschaLMatrix(omega: ArrayLike<number>, T: number): Float64Array {
  const M = omega.length;
  const a2 = new Float64Array(M);
  for (let m = 0; m < M; m++) a2[m] = sschaA2(omega[m], T);
  const L = new Float64Array(M * M);
  for (let m = 0; m < M; m++) {
    for (let n = m; n < M; n++) {
      const wm = omega[m];
      const wn = omega[n];
      let l: number;
      if (m === n || isDegenerate(wm, wn)) {
        const wb = m === n ? wm : Math.sqrt(wm * wn);
        l = sschaDA2dOmega(wb, T) / (4 * wb);
      } else {
        l = (0.5 * (a2[m] - a2[n])) / ((wm - wn) * (wm + wn));
      }
      L[m * M + n] = l;
      L[n * M + m] = l;
    }
  }
  return L;
}

// ---------------------------------------------------------------------------------------------
// validation

function req(cond: boolean, msg: string): void {
  if (!cond) throw new RangeError(`staticBubbleHessian: ${msg}`);
}

function checkArray(name: string, x: ArrayLike<number> | undefined, len: number): void {
  req(x !== undefined && x !== null && typeof x.length === 'number', `${name} is missing`);
  req(x!.length === len, `${name} has ${x!.length} values, expected ${len}`);
  for (let i = 0; i < len; i++) {
    if (!Number.isFinite(x![i])) throw new RangeError(`staticBubbleHessian: ${name}[${i}] = ${x![i]} is not finite`);
  }
}

interface Prepared {
  n3: number;
  M: number;
  nc: number;
  y: Float64Array;
  df: Float64Array;
  w: Float64Array;
  Q: Float64Array;
  rows: number[];
  full: boolean;
  /** Translation fill map (buildFill), null when all rows are computed. */
  fill: Int32Array | null;
}

function prepare(inp: StaticBubbleInput): Prepared {
  const { n3, M } = inp;
  req(Number.isInteger(n3) && n3 > 0, `n3 must be a positive integer, got ${n3}`);
  req(Number.isInteger(M) && M > 0 && M <= n3, `M must be an integer in [1, n3], got ${M}`);
  req(Number.isFinite(inp.T) && inp.T >= 0, `T must be finite and >= 0, got ${inp.T}`);
  checkArray('omega', inp.omega, M);
  checkArray('A', inp.A, M);
  if (inp.Etilde !== undefined) req(inp.Etilde.length === M * n3, `Etilde has ${inp.Etilde.length} values, expected M*n3 = ${M * n3}`);
  for (let m = 0; m < M; m++) {
    req(inp.omega[m] > 0, `omega[${m}] = ${inp.omega[m]} must be > 0`);
    const a2 = sschaA2(inp.omega[m], inp.T);
    const rel = Math.abs(inp.A[m] * inp.A[m] - a2) / a2;
    req(inp.A[m] > 0 && rel < 1e-8, `A[${m}] = ${inp.A[m]} is not √(ħ(2n+1)/(2ω)) = ${Math.sqrt(a2)} at ω = ${inp.omega[m]}, T = ${inp.T}`);
  }
  req(inp.y !== undefined && inp.y.length % M === 0 && inp.y.length > 0, `y must hold N_c*M values (M = ${M})`);
  const nc = inp.y.length / M;
  checkArray('y', inp.y, nc * M);
  checkArray('df', inp.df, nc * n3);
  checkArray('phi', inp.phi, n3 * n3);
  const w = new Float64Array(nc);
  if (inp.w !== undefined) {
    checkArray('w', inp.w, nc);
    let s = 0;
    for (let i = 0; i < nc; i++) {
      req(inp.w[i] >= 0, `w[${i}] = ${inp.w[i]} is negative`);
      w[i] = inp.w[i];
      s += w[i];
    }
    req(s > 0, 'all weights are zero');
  } else w.fill(1);

  // Q = ℓ / (A² A²ᵀ), with A² from the input A (the one y was normalised with).
  const L = sschaLMatrix(inp.omega, inp.T);
  const Q = new Float64Array(M * M);
  for (let m = 0; m < M; m++) {
    const am = inp.A[m] * inp.A[m];
    for (let n = 0; n < M; n++) Q[m * M + n] = L[m * M + n] / (am * inp.A[n] * inp.A[n]);
  }

  let rows: number[];
  let fill: Int32Array | null = null;
  let full = true;
  if (inp.primitiveRows !== undefined) {
    req(inp.translations !== undefined, 'primitiveRows needs translations to fill the full matrix (use staticBubbleRows for a bare row subset)');
    rows = Array.from(inp.primitiveRows);
    const seen = new Set<number>();
    for (const r of rows) {
      req(Number.isInteger(r) && r >= 0 && r < n3, `primitive row ${r} out of range [0, ${n3})`);
      req(!seen.has(r), `primitive row ${r} given twice`);
      seen.add(r);
    }
    fill = buildFill(n3, rows, inp.translations!);
    full = false;
  } else {
    rows = Array.from({ length: n3 }, (_, i) => i);
  }
  return {
    n3, M, nc,
    y: Float64Array.from(inp.y as ArrayLike<number>),
    df: Float64Array.from(inp.df as ArrayLike<number>),
    w, Q, rows, full, fill,
  };
}

/**
 * For every target row r of the full matrix: fill[2r] = index (in `rows`) of the computed row it
 * comes from, fill[2r+1] = translation index t; the column map is then translations[t].
 * Returned as [fill (2·n3), then perms flattened] packed in one Int32Array.
 */
function buildFill(n3: number, rows: number[], translations: ArrayLike<ArrayLike<number>>): Int32Array {
  req(n3 % 3 === 0, `n3 = ${n3} is not a multiple of 3 (translations act on atoms)`);
  const nat = n3 / 3;
  const nt = translations.length;
  req(nt > 0, 'translations is empty');
  const out = new Int32Array(2 * n3 + nt * nat).fill(-1);
  for (let t = 0; t < nt; t++) {
    const p = translations[t];
    req(p.length === nat, `translations[${t}] has ${p.length} entries, expected ${nat} atoms`);
    const hit = new Uint8Array(nat);
    for (let j = 0; j < nat; j++) {
      const v = p[j];
      req(Number.isInteger(v) && v >= 0 && v < nat && !hit[v], `translations[${t}] is not a permutation of 0..${nat - 1}`);
      hit[v] = 1;
      out[2 * n3 + t * nat + j] = v;
    }
  }
  // the identity is implied
  const isId = (t: number) => {
    for (let j = 0; j < nat; j++) if (out[2 * n3 + t * nat + j] !== j) return false;
    return true;
  };
  let idIndex = -1;
  for (let t = 0; t < nt; t++) if (isId(t)) idIndex = t;
  const ts = idIndex >= 0 ? [...Array(nt).keys()] : [-1, ...Array(nt).keys()];
  for (let ri = 0; ri < rows.length; ri++) {
    const a = rows[ri];
    const atom = Math.floor(a / 3);
    const alpha = a % 3;
    for (const t of ts) {
      const img = t < 0 ? atom : out[2 * n3 + t * nat + atom];
      const target = 3 * img + alpha;
      if (out[2 * target] >= 0) {
        const prev = rows[out[2 * target]];
        req(false, `row ${target} is reached twice (from primitive rows ${prev} and ${a}): primitiveRows must hold one atom per translation orbit`);
      }
      out[2 * target] = ri;
      out[2 * target + 1] = t;
    }
  }
  for (let r = 0; r < n3; r++) {
    req(out[2 * r] >= 0, `row ${r} (atom ${Math.floor(r / 3)}) is not reached by primitiveRows and translations`);
  }
  return out;
}

/** Full Π from computed rows (fill by translation when needed), then (Π + Πᵀ)/2. */
function assemble(p: Prepared, piRows: Float64Array): Float64Array {
  const n3 = p.n3;
  const pi = new Float64Array(n3 * n3);
  if (p.full) {
    pi.set(piRows);
  } else {
    const f = p.fill!;
    const nat = n3 / 3;
    for (let r = 0; r < n3; r++) {
      const src = f[2 * r];
      const t = f[2 * r + 1];
      const srow = src * n3;
      for (let j = 0; j < nat; j++) {
        const jj = t < 0 ? j : f[2 * n3 + t * nat + j];
        for (let beta = 0; beta < 3; beta++) pi[r * n3 + 3 * jj + beta] = piRows[srow + 3 * j + beta];
      }
    }
  }
  for (let a = 0; a < n3; a++) {
    for (let b = a + 1; b < n3; b++) {
      const s = 0.5 * (pi[a * n3 + b] + pi[b * n3 + a]);
      pi[a * n3 + b] = s;
      pi[b * n3 + a] = s;
    }
  }
  return pi;
}

// ---------------------------------------------------------------------------------------------
// the row kernel

type ScaleFn = (nc: number, m: number, y: number, ldy: number, df: number, ldf: number, w: number,
  rows: number, nb: number, out: number, ldo: number, sums: number) => number;
type TransformFn = (m: number, nb: number, z: number, ldz: number, sums: number, invW: number, f: number, traces: number) => number;
type QuadFn = (nc: number, m: number, nb: number, p: number, ldp: number, y: number, ldy: number, traces: number,
  w: number, invW: number, g: number, ldg: number) => number;
type DgemmFn = (tA: number, tB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
  b: number, ldb: number, beta: number, c: number, ldc: number) => void;
type PairVecFn = (m: number, cnt: number, y: number, ldy: number, ii: number, jj: number, q: number, out: number, ldo: number, base: number) => number;
type PairDotFn = (m: number, cnt: number, p: number, ldp: number, r: number, ldr: number, base: number, out: number) => number;
type PairCorrFn = (nc: number, nb: number, df: number, ldf: number, rows: number, w: number, kd: number, kx: number, unit: number,
  alpha: number, beta: number, g: number, ldg: number) => number;

/** Vectors per chunk when forming the same-unit kernel values K_ij (one dgemm per chunk). */
const PAIR_CHUNK = 256;

/** Default budget for the kernel buffers of one call (bytes). */
export const DEFAULT_BUDGET = 128 * 2 ** 20;

/** dgemm's internal packing buffers (assembly/linalg/gemm.ts: MC·KC + KC·NC doubles + a tile). */
export const GEMM_SCRATCH_BYTES = (128 * 256 + 256 * 1024) * 8 + 4 * 4 * 8 + 64;

interface RowPassOptions {
  method: 'reassociated' | 'stream';
  /** Remove the same-unit terms (U-statistic); unit = 2 (antithetic pairs) or 1. */
  unbiased: boolean;
  unit: 1 | 2;
  block: number;
  /** 'mixed': return Φ⁽³⁾_a (rows × M × M) instead of Π rows. */
  want: 'pi' | 'phi3';
  /** 1/(A_μA_ν) (for want = 'phi3'). */
  invAA?: Float64Array;
}

interface RowPassOut {
  out: Float64Array;
  peakBytes: number;
  flops: number;
}

/** Budget-driven block size: bytes per row of a block and fixed bytes (inputs). */
function chooseBlock(nc: number, M: number, n3: number, nRows: number, method: string, budget: number, given?: number): number {
  if (given !== undefined) {
    req(Number.isInteger(given) && given > 0, `blockRows must be a positive integer, got ${given}`);
    return Math.min(given, nRows);
  }
  // inputs, plus K_ii, K_ip (2 N_c) and the chunk buffers of the unbiased estimator
  const fixed = 8 * (nc * M + nc * n3 + nc + M * M) + 8 * (2 * nc + Math.min(nc, PAIR_CHUNK) * (2 * M + 4));
  const perRow = 8 * (nc * M + M * M + nc + n3 + 2) * (method === 'stream' ? 2 : 1);
  const b = Math.floor((budget - fixed) / perRow);
  return Math.max(1, Math.min(nRows, b));
}

function rowPass(k: Kernels, p: Prepared, y: Float64Array, df: Float64Array, w: Float64Array, rows: number[], o: RowPassOptions): RowPassOut {
  const { n3, M } = p;
  const nc = w.length;
  const nr = rows.length;
  const B = Math.min(o.block, nr);
  let W = 0;
  for (let i = 0; i < nc; i++) W += w[i];
  req(W > 0, 'all weights of this (sub)ensemble are zero');
  const invW = 1 / W;
  const scale = k.fn<ScaleFn>('sschaHessScale');
  const transform = k.fn<TransformFn>('sschaHessTransform');
  const quad = k.fn<QuadFn>('sschaHessQuad');
  const dgemm = k.fn<DgemmFn>('dgemm');
  const stream = o.method === 'stream';
  const unbiased = o.want === 'pi' && o.unbiased;
  // U-statistic normalisation: Σ over ordered pairs of distinct units of W_u W_v = W² − Σ_u W_u²
  let alpha = 1, beta = 0;
  if (unbiased) {
    let su2 = 0;
    for (let i = 0; i < nc; i += o.unit) {
      let wu = 0;
      for (let j = i; j < Math.min(i + o.unit, nc); j++) wu += w[j];
      su2 += wu * wu;
    }
    const denom = W * W - su2;
    req(denom > 1e-12 * W * W, `the unbiased estimator needs at least two ${o.unit === 2 ? 'antithetic pairs' : 'configurations'} with non-zero weight`);
    alpha = (W * W) / denom;
    beta = 1 / denom;
  }
  let bytes = 0;
  let peak = 0;
  let flops = 0;
  const out = new Float64Array(o.want === 'pi' ? nr * n3 : nr * M * M);
  k.scope(() => {
    const f64 = (n: number, init?: ArrayLike<number>) => {
      bytes += 8 * Math.max(2, n);
      peak = Math.max(peak, bytes);
      return k.f64(n, init);
    };
    const i32 = (n: number) => {
      bytes += 4 * Math.max(4, n);
      peak = Math.max(peak, bytes);
      return k.i32(n);
    };
    const st = (name: string, s: number) => k.check(name, s);
    const Y = f64(nc * M, y);
    const DF = f64(nc * n3, df);
    const Wb = f64(nc, w);
    const F = o.want === 'pi' ? f64(M * M, p.Q) : f64(M * M, o.invAA!);
    const rowsBuf = i32(B);
    const sums = f64(B);
    const traces = f64(B);
    const Yp = f64(nc * B * M);
    const Zt = f64(B * M * M);
    const G = o.want === 'pi' && (!stream || unbiased) ? f64(B * nc) : null;
    // K_ii (kd) and K_{i,partner} (kx) for the same-unit correction of the unbiased estimator
    let kd: ReturnType<typeof f64> | null = null;
    let kx: ReturnType<typeof f64> | null = null;
    if (unbiased) {
      kd = f64(nc);
      kx = f64(nc);
      kx.view.fill(0);
      const pairVec = k.fn<PairVecFn>('sschaHessPairVec');
      const pairDot = k.fn<PairDotFn>('sschaHessPairDot');
      const CH = Math.min(nc, PAIR_CHUNK);
      const ii = i32(CH), jj = i32(CH);
      const P = f64(CH * M), PQ = f64(CH * M), base = f64(CH), kout = f64(CH);
      // vector list: (i, i) for every i, then (2u, 2u + 1) for every complete pair
      const nPairs = o.unit === 2 ? Math.floor(nc / 2) : 0;
      const total = nc + nPairs;
      for (let t0 = 0; t0 < total; t0 += CH) {
        const cnt = Math.min(CH, total - t0);
        const iv = ii.view, jv = jj.view;
        for (let t = 0; t < cnt; t++) {
          const v = t0 + t;
          if (v < nc) iv[t] = jv[t] = v;
          else {
            iv[t] = 2 * (v - nc);
            jv[t] = iv[t] + 1;
          }
        }
        st('sschaHessPairVec', pairVec(M, cnt, Y.ptr, M, ii.ptr, jj.ptr, F.ptr, P.ptr, M, base.ptr));
        dgemm(0, 0, cnt, M, M, 1, P.ptr, M, F.ptr, M, 0, PQ.ptr, M);
        st('sschaHessPairDot', pairDot(M, cnt, P.ptr, M, PQ.ptr, M, base.ptr, kout.ptr));
        flops += 2 * cnt * M * M;
        const ko = kout.view, kdv = kd.view, kxv = kx.view;
        for (let t = 0; t < cnt; t++) {
          const v = t0 + t;
          if (v < nc) kdv[v] = ko[t];
          else {
            kxv[iv[t]] = ko[t];
            kxv[iv[t] + 1] = ko[t];
          }
        }
      }
    }
    const pairCorr = k.fn<PairCorrFn>('sschaHessPairCorr');
    const PiBlk = o.want === 'pi' ? f64(B * n3) : null;
    // stream: a second block for the b index
    const rowsB = stream ? i32(B) : null;
    const sumsB = stream ? f64(B) : null;
    const tracesB = stream ? f64(B) : null;
    const YpB = stream ? f64(nc * B * M) : null;
    const ZtB = stream ? f64(B * M * M) : null;

    for (let r0 = 0; r0 < nr; r0 += B) {
      const nb = Math.min(B, nr - r0);
      rowsBuf.set(rows.slice(r0, r0 + nb));
      // 1–3: T_a (or Φ⁽³⁾_a) for the block, stacked nb·M × M
      st('sschaHessScale', scale(nc, M, Y.ptr, M, DF.ptr, n3, Wb.ptr, rowsBuf.ptr, nb, Yp.ptr, nb * M, sums.ptr));
      dgemm(1, 0, nb * M, M, nc, 1, Yp.ptr, nb * M, Y.ptr, M, 0, Zt.ptr, M);
      flops += 2 * nc * M * M * nb;
      st('sschaHessTransform', transform(M, nb, Zt.ptr, M, sums.ptr, invW, F.ptr, traces.ptr));
      if (o.want === 'phi3') {
        out.set(Zt.view.subarray(0, nb * M * M), r0 * M * M);
        continue;
      }
      if (!stream) {
        // 4–6: P = Y·[T_a…], c_ia, Π rows = C·δF
        dgemm(0, 1, nc, nb * M, M, 1, Y.ptr, M, Zt.ptr, M, 0, Yp.ptr, nb * M);
        st('sschaHessQuad', quad(nc, M, nb, Yp.ptr, nb * M, Y.ptr, M, traces.ptr, Wb.ptr, invW, G!.ptr, nc));
        if (unbiased) {
          st('sschaHessPairCorr', pairCorr(nc, nb, DF.ptr, n3, rowsBuf.ptr, Wb.ptr, kd!.ptr, kx!.ptr, o.unit, alpha, beta, G!.ptr, nc));
        }
        dgemm(0, 0, nb, n3, nc, 1, G!.ptr, nc, DF.ptr, n3, 0, PiBlk!.ptr, n3);
        flops += 2 * nc * M * M * nb + 2 * nc * n3 * nb;
      } else {
        // Φ⁽³⁾_b·(AAᵀ) = −(Z_b − s_b I)/W for blocks of b, then Π[a, b] = ⟨T_a, ·⟩ by one GEMM
        for (let b0 = 0; b0 < n3; b0 += B) {
          const nbb = Math.min(B, n3 - b0);
          rowsB!.set(Array.from({ length: nbb }, (_, j) => b0 + j));
          st('sschaHessScale', scale(nc, M, Y.ptr, M, DF.ptr, n3, Wb.ptr, rowsB!.ptr, nbb, YpB!.ptr, nbb * M, sumsB!.ptr));
          dgemm(1, 0, nbb * M, M, nc, 1, YpB!.ptr, nbb * M, Y.ptr, M, 0, ZtB!.ptr, M);
          st('sschaHessTransform', transform(M, nbb, ZtB!.ptr, M, sumsB!.ptr, invW, 0, tracesB!.ptr));
          dgemm(0, 1, nb, nbb, M * M, 1, Zt.ptr, M * M, ZtB!.ptr, M * M, 0, PiBlk!.ptr + 8 * b0, n3);
          flops += 2 * nc * M * M * nbb + 2 * M * M * nb * nbb;
        }
        if (unbiased) {
          // Π rows ← alpha·Π rows − (same-unit terms)/denom, the latter as one GEMM over the ensemble
          st('sschaHessPairCorr', pairCorr(nc, nb, DF.ptr, n3, rowsBuf.ptr, Wb.ptr, kd!.ptr, kx!.ptr, o.unit, 0, beta, G!.ptr, nc));
          dgemm(0, 0, nb, n3, nc, 1, G!.ptr, nc, DF.ptr, n3, alpha, PiBlk!.ptr, n3);
          flops += 2 * nc * n3 * nb;
        }
      }
      out.set(PiBlk!.view.subarray(0, nb * n3), r0 * n3);
    }
  });
  return { out, peakBytes: peak, flops };
}

/** Configuration subsets: unit = antithetic pair (2k, 2k+1) or single configuration. */
function units(nc: number, pairs: boolean): number[][] {
  const u: number[][] = [];
  if (pairs) for (let i = 0; i < nc; i += 2) u.push(i + 1 < nc ? [i, i + 1] : [i]);
  else for (let i = 0; i < nc; i++) u.push([i]);
  return u;
}

function subset(p: Prepared, idx: number[]): { y: Float64Array; df: Float64Array; w: Float64Array } {
  const { M, n3 } = p;
  const y = new Float64Array(idx.length * M);
  const df = new Float64Array(idx.length * n3);
  const w = new Float64Array(idx.length);
  idx.forEach((i, j) => {
    y.set(p.y.subarray(i * M, (i + 1) * M), j * M);
    df.set(p.df.subarray(i * n3, (i + 1) * n3), j * n3);
    w[j] = p.w[i];
  });
  return { y, df, w };
}

function applyHook(H: Float64Array, n3: number, hook?: StaticBubbleOptions['symmetrize']): Float64Array {
  if (!hook) return H;
  const r = hook(H, n3);
  if (r !== undefined) {
    req(r instanceof Float64Array && r.length === n3 * n3, 'the symmetrize hook must return a Float64Array of n3*n3 values (or nothing)');
    return r;
  }
  return H;
}

function lowestEigs(k: Kernels, H: Float64Array, n3: number, nLowest: number, masses?: ArrayLike<number>): Float64Array {
  let A = H;
  if (masses) {
    A = new Float64Array(n3 * n3);
    for (let a = 0; a < n3; a++) {
      for (let b = 0; b < n3; b++) A[a * n3 + b] = H[a * n3 + b] / Math.sqrt(masses[Math.floor(a / 3)] * masses[Math.floor(b / 3)]);
    }
  }
  const S = new Float64Array(n3 * n3);
  for (let a = 0; a < n3; a++) for (let b = 0; b < n3; b++) S[a * n3 + b] = 0.5 * (A[a * n3 + b] + A[b * n3 + a]);
  return eighValues(k, S, n3).slice(0, Math.min(nLowest, n3));
}

// ---------------------------------------------------------------------------------------------
// symmetrised Φ⁽³⁾ (module comment)

/** Largest 3N for which `sschaHessian` symmetrises Φ⁽³⁾ by default ((3N)³ doubles: 56 MB at 192). */
export const MAX_SYMMETRIC_N3 = 192;

interface SymmetricContext {
  sym: ThirdOrderSymmetry;
  /** E_μ = M^{1/2}e_μ = M ẽ_μ and ẽ_μ (rows, M×n3). */
  E: Float64Array;
  Et: Float64Array;
  /** ℓ_μν (M×M) and 1/(A_μA_ν). */
  L: Float64Array;
  invAA: Float64Array;
  groups: number;
  block: number;
  allRows: number[];
}

function symmetricContext(input: StaticBubbleInput, p: Prepared, opts: StaticBubbleOptions, block: number): SymmetricContext {
  const { n3, M } = p;
  const sym = opts.thirdOrderSymmetry!;
  req(input.Etilde !== undefined, 'thirdOrderSymmetry needs input.Etilde (the ẽ_μ the y were computed with)');
  checkArray('masses', input.masses, n3 / 3);
  req(sym.perms.length > 0 && sym.rotations.length === 9 * sym.perms.length, 'thirdOrderSymmetry: one rotation (9 numbers) per atom map is needed');
  for (const pm of sym.perms) req(pm.length === n3 / 3, `thirdOrderSymmetry: atom maps must have ${n3 / 3} entries`);
  const bytes = 8 * (3 * n3 * n3 * n3 + 4 * n3 * M * M);
  req(bytes <= 4 * 2 ** 30, `thirdOrderSymmetry: 3N = ${n3} needs ≈ ${(bytes / 2 ** 30).toFixed(1)} GB; use it only for small supercells`);
  const Et = Float64Array.from(input.Etilde!);
  const E = new Float64Array(M * n3);
  for (let m = 0; m < M; m++) for (let b = 0; b < n3; b++) E[m * n3 + b] = input.masses![Math.floor(b / 3)] * Et[m * n3 + b];
  const invAA = new Float64Array(M * M);
  for (let m = 0; m < M; m++) for (let n = 0; n < M; n++) invAA[m * M + n] = 1 / (input.A[m] * input.A[n]);
  const groups = opts.symmetryGroups ?? 8;
  req(Number.isInteger(groups) && groups >= 2, `symmetryGroups must be an integer ≥ 2, got ${groups}`);
  return { sym, E, Et, L: sschaLMatrix(input.omega, input.T), invAA, groups, block, allRows: Array.from({ length: n3 }, (_, i) => i) };
}

/** Average of a (3N)³ tensor (row-major, index 3·atom + α) over the 6 index permutations, in place. */
export function permutationAverage3(C: Float64Array, n3: number): void {
  const s1 = n3 * n3, s2 = n3;
  for (let a = 0; a < n3; a++)
    for (let b = a; b < n3; b++)
      for (let c = b; c < n3; c++) {
        const i0 = a * s1 + b * s2 + c, i1 = a * s1 + c * s2 + b, i2 = b * s1 + a * s2 + c;
        const i3 = b * s1 + c * s2 + a, i4 = c * s1 + a * s2 + b, i5 = c * s1 + b * s2 + a;
        const v = (C[i0] + C[i1] + C[i2] + C[i3] + C[i4] + C[i5]) / 6;
        C[i0] = v; C[i1] = v; C[i2] = v; C[i3] = v; C[i4] = v; C[i5] = v;
      }
}

/** out[oo..] += scale · R⊗R⊗R X for one 3×3×3 block (27 numbers, row-major αβγ), three sequential contractions. */
function rotate3(R: Float64Array, x: Float64Array, xo: number, t1: Float64Array, t2: Float64Array, out: Float64Array, oo: number, scale: number) {
  for (let a = 0; a < 3; a++) {
    const r0 = R[3 * a], r1 = R[3 * a + 1], r2 = R[3 * a + 2];
    for (let bc = 0; bc < 9; bc++) t1[a * 9 + bc] = r0 * x[xo + bc] + r1 * x[xo + 9 + bc] + r2 * x[xo + 18 + bc];
  }
  for (let b = 0; b < 3; b++) {
    const r0 = R[3 * b], r1 = R[3 * b + 1], r2 = R[3 * b + 2];
    for (let a = 0; a < 3; a++)
      for (let c = 0; c < 3; c++) t2[a * 9 + b * 3 + c] = r0 * t1[a * 9 + c] + r1 * t1[a * 9 + 3 + c] + r2 * t1[a * 9 + 6 + c];
  }
  for (let c = 0; c < 3; c++) {
    const r0 = scale * R[3 * c], r1 = scale * R[3 * c + 1], r2 = scale * R[3 * c + 2];
    for (let ab = 0; ab < 9; ab++) out[oo + ab * 3 + c] += r0 * t2[ab * 3] + r1 * t2[ab * 3 + 1] + r2 * t2[ab * 3 + 2];
  }
}

/**
 * Projection of a rank-3 Cartesian tensor of the supercell (3N)³ onto the fully symmetric subspace:
 * the average over the 6 index permutations and over the space group ((g·C)_{π(i)π(j)π(k)} =
 * R⊗R⊗R C_ijk). With `sym.factorised` (G = representatives × translations, as Symmetrizer), the
 * translation average is an index permutation and the rotations are applied only to the blocks of one
 * atom per translation orbit (the rest follow by translation). Returns a new array.
 */
export function symmetrizeThirdOrder(C: ArrayLike<number>, n3: number, sym: ThirdOrderSymmetry): Float64Array {
  req(C.length === n3 * n3 * n3, `third-order tensor: expected ${n3 * n3 * n3} numbers, got ${C.length}`);
  const n = n3 / 3;
  const P = Float64Array.from(C);
  permutationAverage3(P, n3);
  const src = atomBlocks(P, n, true);
  const rot = (g: number) => Float64Array.from({ length: 9 }, (_, q) => sym.rotations[9 * g + q]);
  const t1 = new Float64Array(27), t2 = new Float64Array(27);
  const out = new Float64Array(n3 * n3 * n3);
  const factorised = !!(sym.factorised && sym.translationOps && sym.representativeOps && sym.translationOps.length > 1);
  if (!factorised) {
    const scale = 1 / sym.perms.length;
    sym.perms.forEach((pm, g) => {
      const R = rot(g);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++)
          for (let kk = 0; kk < n; kk++) rotate3(R, src, ((i * n + j) * n + kk) * 27, t1, t2, out, ((pm[i] * n + pm[j]) * n + pm[kk]) * 27, scale);
    });
  } else {
    const T = sym.translationOps!, reps = sym.representativeOps!;
    const nt = T.length;
    // translation average (an index permutation of whole blocks)
    const avg = new Float64Array(src.length);
    for (const t of T) {
      const pm = sym.perms[t];
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++)
          for (let kk = 0; kk < n; kk++) {
            const s = ((pm[i] * n + pm[j]) * n + pm[kk]) * 27, d = ((i * n + j) * n + kk) * 27;
            for (let q = 0; q < 27; q++) avg[d + q] += src[s + q];
          }
    }
    // reference atoms (one per translation orbit) and, for every atom, (orbit, translation)
    const orbit = new Int32Array(n).fill(-1), trans = new Int32Array(n);
    const refs: number[] = [];
    for (let a = 0; a < n; a++) {
      if (orbit[a] >= 0) continue;
      refs.push(a);
      T.forEach((t, ti) => {
        const b = sym.perms[t][a];
        orbit[b] = refs.length - 1;
        trans[b] = ti;
      });
    }
    req(refs.length * nt === n, 'thirdOrderSymmetry: the translations do not act freely on the atoms');
    const inv = sym.perms.map((pm) => {
      const q = new Int32Array(n);
      for (let i = 0; i < n; i++) q[pm[i]] = i;
      return q;
    });
    // rotations, target blocks (ref atom, j, k) only: out[s, j, k] += R⊗³ avg[π⁻¹(S_s), π⁻¹(j), π⁻¹(k)]
    const ns = refs.length;
    const red = new Float64Array(ns * n * n * 27);
    const scale = 1 / (reps.length * nt);
    for (const g of reps) {
      const R = rot(g), pinv = inv[g];
      for (let s = 0; s < ns; s++) {
        const a = pinv[refs[s]];
        for (let j = 0; j < n; j++) {
          const b = pinv[j];
          for (let kk = 0; kk < n; kk++) rotate3(R, avg, ((a * n + b) * n + pinv[kk]) * 27, t1, t2, red, ((s * n + j) * n + kk) * 27, scale);
        }
      }
    }
    // expand by translations: out[p_t(S_s), p_t(j), p_t(k)] = red[s, j, k]
    for (let s = 0; s < ns; s++)
      for (const t of T) {
        const pm = sym.perms[t];
        const i = pm[refs[s]];
        for (let j = 0; j < n; j++)
          for (let kk = 0; kk < n; kk++) out.set(red.subarray(((s * n + j) * n + kk) * 27, ((s * n + j) * n + kk) * 27 + 27), ((i * n + pm[j]) * n + pm[kk]) * 27);
      }
  }
  return atomBlocks(out, n, false);
}

/** Mixed Φ⁽³⁾ (n3 × M × M) → Cartesian (n3)³ → symmetrised → mixed again. */
function symmetrizeMixed(k: Kernels, X: Float64Array, n3: number, M: number, ctx: SymmetricContext): Float64Array {
  // C_a = Eᵀ X_a E
  const XE = gemm(k, { rows: n3 * M, cols: M, data: X }, { rows: M, cols: n3, data: ctx.E }).data;
  const C = new Float64Array(n3 * n3 * n3);
  for (let a = 0; a < n3; a++) {
    const Ca = gemm(k, { rows: M, cols: n3, data: ctx.E }, { rows: M, cols: n3, data: XE.subarray(a * M * n3, (a + 1) * M * n3) }, { transA: true }).data;
    C.set(Ca, a * n3 * n3);
  }
  const S = symmetrizeThirdOrder(C, n3, ctx.sym);
  // X'_a = ẽ S_a ẽᵀ
  const SE = gemm(k, { rows: n3 * n3, cols: n3, data: S }, { rows: M, cols: n3, data: ctx.Et }, { transB: true }).data;
  const out = new Float64Array(n3 * M * M);
  for (let a = 0; a < n3; a++) {
    const Xa = gemm(k, { rows: M, cols: n3, data: ctx.Et }, { rows: n3, cols: M, data: SE.subarray(a * n3 * M, (a + 1) * n3 * M) }).data;
    out.set(Xa, a * M * M);
  }
  return out;
}

/** Π_ab = Σ_μν ℓ_μν X_aμν X_bμν (n3 × n3). */
function contractL(k: Kernels, X: Float64Array, n3: number, M: number, L: Float64Array): Float64Array {
  const MM = M * M;
  const LX = new Float64Array(X.length);
  for (let a = 0; a < n3; a++) for (let q = 0; q < MM; q++) LX[a * MM + q] = L[q] * X[a * MM + q];
  return gemm(k, { rows: n3, cols: MM, data: LX }, { rows: n3, cols: MM, data: X }, { transB: true }).data;
}

/** Π from the symmetrised Φ⁽³⁾ of a (sub)ensemble: plug-in, or the grouped U-statistic. */
function symmetricPi(k: Kernels, p: Prepared, ctx: SymmetricContext, d: { y: Float64Array; df: Float64Array; w: Float64Array }, unbiased: boolean, unit: 1 | 2): RowPassOut {
  const { n3, M } = p;
  const nc = d.w.length;
  const U = Math.ceil(nc / unit);
  const K = unbiased ? Math.min(ctx.groups, U) : 1;
  req(!unbiased || K >= 2, 'the unbiased estimator needs at least two units');
  const MM = M * M;
  const Xbar = new Float64Array(n3 * MM);
  const same = new Float64Array(n3 * n3);
  let W = 0, W2 = 0, peak = 0, flops = 0;
  for (let g = 0; g < K; g++) {
    const u0 = Math.floor((g * U) / K), u1 = Math.floor(((g + 1) * U) / K);
    const i0 = u0 * unit, i1 = Math.min(u1 * unit, nc);
    const sub = { y: d.y.subarray(i0 * M, i1 * M), df: d.df.subarray(i0 * n3, i1 * n3), w: d.w.subarray(i0, i1) };
    let Wg = 0;
    for (let i = 0; i < sub.w.length; i++) Wg += sub.w[i];
    if (!(Wg > 0)) continue;
    const r = rowPass(k, p, sub.y, sub.df, sub.w, ctx.allRows, { method: 'reassociated', block: ctx.block, want: 'phi3', invAA: ctx.invAA, unbiased: false, unit: 1 });
    peak = Math.max(peak, r.peakBytes + 8 * 3 * n3 * n3 * n3);
    flops += r.flops + 4 * n3 * n3 * n3 * (n3 + M) + 2 * n3 * n3 * MM;
    const S = symmetrizeMixed(k, r.out, n3, M, ctx);
    for (let q = 0; q < S.length; q++) Xbar[q] += Wg * S[q];
    W += Wg;
    W2 += Wg * Wg;
    if (unbiased) {
      const P = contractL(k, S, n3, M, ctx.L);
      for (let q = 0; q < same.length; q++) same[q] += Wg * Wg * P[q];
    }
  }
  req(W > 0, 'all weights of this (sub)ensemble are zero');
  for (let q = 0; q < Xbar.length; q++) Xbar[q] /= W;
  const full = contractL(k, Xbar, n3, M, ctx.L);
  let pi = full;
  if (unbiased) {
    const D = W * W - W2;
    req(D > 1e-12 * W * W, 'the unbiased estimator needs at least two groups with non-zero weight');
    pi = new Float64Array(n3 * n3);
    for (let q = 0; q < pi.length; q++) pi[q] = (W * W * full[q] - same[q]) / D;
  }
  for (let a = 0; a < n3; a++)
    for (let b = a + 1; b < n3; b++) {
      const s = 0.5 * (pi[a * n3 + b] + pi[b * n3 + a]);
      pi[a * n3 + b] = s;
      pi[b * n3 + a] = s;
    }
  return { out: pi, peakBytes: peak, flops };
}

// ---------------------------------------------------------------------------------------------
// public entry points

/**
 * H = Φ + Π in the static-bubble approximation. All rows, or `primitiveRows` + `translations`.
 * Memory: the inputs (8·N_c·(M + n3) bytes) plus ≈ 8·(N_c·M + M²)·B per block of B rows (twice that
 * for method 'stream'), B chosen from `memoryBudgetBytes`; reported in `stats.peakBytes`.
 */
export function staticBubbleHessian(k: Kernels, input: StaticBubbleInput, opts: StaticBubbleOptions = {}): StaticBubbleResult {
  const t0 = performance.now();
  const p = prepare(input);
  const { n3, nc } = p;
  const method = opts.method ?? 'reassociated';
  req(method === 'reassociated' || method === 'stream', `unknown method ${String(method)}`);
  const block = chooseBlock(nc, p.M, n3, p.rows.length, method, opts.memoryBudgetBytes ?? DEFAULT_BUDGET, opts.blockRows);
  const pairs = opts.pairs ?? nc % 2 === 0;
  const estimator = opts.estimator ?? 'unbiased';
  req(estimator === 'unbiased' || estimator === 'biased', `unknown estimator ${String(estimator)}`);
  const ro: RowPassOptions = { method, block, want: 'pi', unbiased: estimator === 'unbiased', unit: pairs ? 2 : 1 };
  let peak = 0;
  let passes = 0;
  const sym = opts.thirdOrderSymmetry;
  const symCtx = sym ? symmetricContext(input, p, opts, block) : null;
  const pass = (d: { y: Float64Array; df: Float64Array; w: Float64Array }) => {
    const r = symCtx ? symmetricPi(k, p, symCtx, d, estimator === 'unbiased', pairs ? 2 : 1) : rowPass(k, p, d.y, d.df, d.w, p.rows, ro);
    peak = Math.max(peak, r.peakBytes);
    passes++;
    return r;
  };
  const piOf = (d: { y: Float64Array; df: Float64Array; w: Float64Array }) => {
    const r = pass(d);
    return { pi: symCtx ? r.out : assemble(p, r.out), flops: r.flops };
  };

  const main = piOf(p);
  const pi = main.pi;
  const H = new Float64Array(n3 * n3);
  for (let i = 0; i < n3 * n3; i++) H[i] = input.phi[i] + pi[i];
  const hessian = applyHook(H, n3, opts.symmetrize);

  const res: StaticBubbleResult = {
    hessian,
    pi,
    stats: {
      timeMs: 0, flops: main.flops, blockRows: block, rowsComputed: symCtx ? n3 : p.rows.length, peakBytes: 0,
      gemmScratchBytes: GEMM_SCRATCH_BYTES, wasmMemoryBytes: 0, passes: 0,
    },
  };

  const U = units(nc, pairs);
  const K = opts.errorGroups ?? 0;
  if (K) {
    req(Number.isInteger(K) && K >= 2 && K <= U.length, `errorGroups must be an integer in [2, ${U.length}], got ${K}`);
    const reps: Float64Array[] = [];
    for (let g = 0; g < K; g++) {
      const idx: number[] = [];
      U.forEach((u, j) => {
        if (Math.floor((j * K) / U.length) !== g) idx.push(...u);
      });
      reps.push(piOf(subset(p, idx)).pi);
    }
    const err = new Float64Array(n3 * n3);
    for (let e = 0; e < n3 * n3; e++) {
      let m = 0;
      for (const r of reps) m += r[e];
      m /= K;
      let s = 0;
      for (const r of reps) s += (r[e] - m) ** 2;
      err[e] = Math.sqrt(((K - 1) / K) * s);
    }
    res.errorEstimate = err;
  }

  if (opts.splitHalf) {
    const sh: SplitHalfOptions = typeof opts.splitHalf === 'object' ? opts.splitHalf : {};
    const nLowest = sh.nLowest ?? 6;
    if (sh.masses) checkArray('splitHalf.masses', sh.masses, n3 / 3);
    req(U.length >= 2, 'splitHalf needs at least two configurations (pairs)');
    const h = Math.floor(U.length / 2);
    const halves = [U.slice(0, h), U.slice(h)].map((us) => {
      const piH = piOf(subset(p, us.flat())).pi;
      const HH = new Float64Array(n3 * n3);
      for (let i = 0; i < n3 * n3; i++) HH[i] = input.phi[i] + piH[i];
      const Hh = applyHook(HH, n3, opts.symmetrize);
      return { H: Hh, low: lowestEigs(k, Hh, n3, nLowest, sh.masses) };
    });
    const lowestFull = lowestEigs(k, hessian, n3, nLowest, sh.masses);
    const spread = halves[0].low.map((v, i) => Math.abs(v - halves[1].low[i]));
    res.splitHalf = { hessians: [halves[0].H, halves[1].H], lowest: [halves[0].low, halves[1].low], lowestFull, spread };
  }

  res.stats.peakBytes = peak;
  res.stats.passes = passes;
  res.stats.wasmMemoryBytes = k.memory.buffer.byteLength;
  res.stats.timeMs = performance.now() - t0;
  return res;
}

/**
 * Bare rows of Π for the given row indices (no translation fill, no symmetrisation):
 * rows.length × n3, row r = Π[rows[r], :]. Same options as staticBubbleHessian (method, block).
 */
export function staticBubbleRows(
  k: Kernels,
  input: Omit<StaticBubbleInput, 'primitiveRows' | 'translations'>,
  rows: ArrayLike<number>,
  opts: Pick<StaticBubbleOptions, 'method' | 'blockRows' | 'memoryBudgetBytes' | 'estimator' | 'pairs'> = {},
): { rows: Float64Array; stats: { peakBytes: number; flops: number; blockRows: number; timeMs: number } } {
  const t0 = performance.now();
  const p = prepare({ ...input, primitiveRows: undefined, translations: undefined });
  const rs = Array.from(rows);
  for (const r of rs) req(Number.isInteger(r) && r >= 0 && r < p.n3, `row ${r} out of range [0, ${p.n3})`);
  req(rs.length > 0, 'no rows given');
  const method = opts.method ?? 'reassociated';
  const block = chooseBlock(p.nc, p.M, p.n3, rs.length, method, opts.memoryBudgetBytes ?? DEFAULT_BUDGET, opts.blockRows);
  const estimator = opts.estimator ?? 'unbiased';
  req(estimator === 'unbiased' || estimator === 'biased', `unknown estimator ${String(estimator)}`);
  const unit = (opts.pairs ?? p.nc % 2 === 0) ? 2 : 1;
  const r = rowPass(k, p, p.y, p.df, p.w, rs, { method, block, want: 'pi', unbiased: estimator === 'unbiased', unit });
  return { rows: r.out, stats: { peakBytes: r.peakBytes, flops: r.flops, blockRows: block, timeMs: performance.now() - t0 } };
}

/**
 * The ensemble estimate of the third-order force constants in the mixed representation,
 * Φ⁽³⁾_{aμν} = −⟨(y_μ y_ν − δ_μν) δf_a⟩/(A_μ A_ν) (eV/(Å³·amu)), for the given rows a:
 * rows.length × M × M, entry [r·M² + μ·M + ν]. Exactly symmetric in μν only to round-off.
 */
export function thirdOrderMixed(
  k: Kernels,
  input: Omit<StaticBubbleInput, 'primitiveRows' | 'translations'>,
  rows: ArrayLike<number>,
  opts: Pick<StaticBubbleOptions, 'blockRows' | 'memoryBudgetBytes'> = {},
): Float64Array {
  const p = prepare({ ...input, primitiveRows: undefined, translations: undefined });
  const rs = Array.from(rows);
  for (const r of rs) req(Number.isInteger(r) && r >= 0 && r < p.n3, `row ${r} out of range [0, ${p.n3})`);
  const M = p.M;
  const invAA = new Float64Array(M * M);
  for (let m = 0; m < M; m++) for (let n = 0; n < M; n++) invAA[m * M + n] = 1 / (input.A[m] * input.A[n]);
  const block = chooseBlock(p.nc, M, p.n3, rs.length, 'reassociated', opts.memoryBudgetBytes ?? DEFAULT_BUDGET, opts.blockRows);
  return rowPass(k, p, p.y, p.df, p.w, rs, { method: 'reassociated', block, want: 'phi3', invAA, unbiased: false, unit: 1 }).out;
}

/**
 * A (3N)³ row-major tensor C to atom blocks B[((i·n + j)·n + k)·27 + 9α + 3β + γ] = C[3i+α, 3j+β, 3k+γ]
 * (toBlocks), or back.
 */
function atomBlocks(a: Float64Array, n: number, toBlocks: boolean): Float64Array {
  const n3 = 3 * n;
  const out = new Float64Array(n3 * n3 * n3);
  for (let i = 0; i < n; i++)
    for (let al = 0; al < 3; al++)
      for (let j = 0; j < n; j++)
        for (let be = 0; be < 3; be++) {
          const row = ((3 * i + al) * n3 + 3 * j + be) * n3;
          for (let kk = 0; kk < n; kk++) {
            const o = ((i * n + j) * n + kk) * 27 + 9 * al + 3 * be;
            for (let g = 0; g < 3; g++) {
              if (toBlocks) out[o + g] = a[row + 3 * kk + g];
              else out[row + 3 * kk + g] = a[o + g];
            }
          }
        }
  return out;
}
