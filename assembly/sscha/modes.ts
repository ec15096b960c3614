// SSCHA auxiliary modes (physics.md 5.1, 4.2, 4.3) and small helpers on them.
//
//   ssModes(n3, phi, masses3, nt, temperature, flags, work, vecs, evals,
//           omega2, omega, occ, amp, polar, etilde, info, scal): i32
//     D = M^{-1/2} Φ M^{-1/2} from Φ (n3 x n3, row-major; only the lower triangle is read) and the
//     per-component masses masses3 (n3, amu). With nt = 3 the mass-weighted uniform translations
//     q_k = √m t_k / |√m t_k| are deflated: D' = P D P − c Q Qᵀ (P = 𝟙 − QQᵀ, c = 2‖D‖_F + 1), so
//     that they come out of the eigensolver as an isolated cluster at −c; they are then identified
//     BY INDEX as the nt eigenvectors of largest overlap Σ_k (v·q_k)² (never by a frequency
//     threshold). nt = 0: no translations (pinned models). The remaining m = n3 − nt modes, in
//     ascending ω², are written as rows: polar (m x n3, e_μ), etilde (m x n3, ẽ_μ = M^{-1/2}e_μ),
//     omega2, omega (τ⁻¹), occ (Bose n_μ; exactly 0 at T = 0), amp (A_μ = √(ħ(2n+1)/(2ω)),
//     √amu·Å). work, vecs: n3 x n3 scratch (work is overwritten), evals: n3 scratch.
//     A mode is non-positive when ω² ≤ 1e-12·max|ω²|. Unless flags & 1, the first such mode stops
//     the kernel with status 5 and info[0] = its index μ (omega2[μ] holds its ω²). With flags & 1
//     every mode is returned; non-positive ones get omega = −√|ω²|, occ = amp = 0 and are left out
//     of the sums; info[0] = index of the first one or −1.
//     scal[0] = F_0 = Σ_μ ħω/2 + k_BT ln(1 − e^{−ħω/k_BT}) (eV), scal[1] = S_0 (eV/K),
//     scal[2] = smallest translation overlap (1 for exact translations), scal[3] = c.
//     info[1] = number of non-positive modes.
//     Status: 0 ok, 1 NaN/Inf in Φ or masses, 2 eigensolver failed, 4 bad argument, 5 non-positive mode.
//
//   ssNewton(m, n3, etilde, omega2, g, out): out = Σ_μ ẽ_μ (ẽ_μ·g)/ω²_μ  (= Φ⁺g on the modes)
//   ssRebuild(m, n3, polar, values, masses3, work, out): out = M^{1/2} (Σ_μ values_μ e_μ e_μᵀ) M^{1/2},
//     bitwise symmetric (work: m x n3 scratch).
//   ssModeErrors(m, n3, etilde, variance, work, out): out_μ = Σ_ab ẽ_μa² ẽ_μb² var_ab
//     (variance of ẽ_μᵀ X ẽ_μ for element-wise independent errors of X; work: m x n3 scratch).
import { dgemm } from "../linalg/gemm";
import { eighSym, eighSymValues } from "../linalg/eigh";
import { fullFinite, finiteVec } from "../linalg/common";

export const HBAR_EV_TAU: f64 = 0.0646541513;
export const KB_EV_K: f64 = 8.617333262e-5;
export const SS_NONPOSITIVE: i32 = 5;

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

export function ssModes(
  n3: i32, phi: usize, masses3: usize, nt: i32, temperature: f64, flags: i32,
  work: usize, vecs: usize, evals: usize,
  omega2: usize, omega: usize, occ: usize, amp: usize, polar: usize, etilde: usize,
  info: usize, scal: usize,
): i32 {
  if (n3 <= 0 || (nt != 0 && nt != 3) || nt >= n3 || (nt == 3 && n3 % 3 != 0)) return 4;
  if (!(temperature >= 0) || temperature == Infinity) return 4;
  if (!fullFinite(n3, n3, phi, n3) || !finiteVec(masses3, n3)) return 1;
  for (let a = 0; a < n3; a++) if (!(ld(masses3, a) > 0)) return 4;
  const m = n3 - nt;
  // D = M^{-1/2} Φ M^{-1/2} (lower triangle), ‖D‖_F
  const s = heap.alloc(<usize>n3 << 3);
  for (let a = 0; a < n3; a++) st(s, a, 1.0 / Math.sqrt(ld(masses3, a)));
  let fro: f64 = 0;
  for (let a = 0; a < n3; a++) {
    const sa = ld(s, a);
    for (let b = 0; b <= a; b++) {
      const v = ld(phi, a * n3 + b) * sa * ld(s, b);
      st(work, a * n3 + b, v);
      fro += (a == b ? 1.0 : 2.0) * v * v;
    }
  }
  fro = Math.sqrt(fro);
  const c = 2.0 * fro + 1.0;
  let qn: usize = 0;
  if (nt == 3) {
    // q[a] = √m_a / √(Σ_atoms m): the single non-zero component of row a of Q (column α = a % 3)
    qn = heap.alloc(<usize>n3 << 3);
    let msum: f64 = 0;
    for (let a = 0; a < n3; a += 3) msum += ld(masses3, a);
    const inv = 1.0 / Math.sqrt(msum);
    for (let a = 0; a < n3; a++) st(qn, a, Math.sqrt(ld(masses3, a)) * inv);
    // DQ (n3 x 3) from the full symmetric D (lower triangle mirrored), QᵀDQ (3 x 3)
    const dq = heap.alloc(<usize>(3 * n3) << 3);
    memory.fill(dq, 0, <usize>(3 * n3) << 3);
    for (let a = 0; a < n3; a++) {
      for (let b = 0; b < n3; b++) {
        const dab = b <= a ? ld(work, a * n3 + b) : ld(work, b * n3 + a);
        const k = b % 3;
        st(dq, 3 * a + k, ld(dq, 3 * a + k) + dab * ld(qn, b));
      }
    }
    const qdq = heap.alloc(9 << 3);
    memory.fill(qdq, 0, 9 << 3);
    for (let a = 0; a < n3; a++) {
      const al = a % 3;
      for (let k = 0; k < 3; k++) st(qdq, 3 * al + k, ld(qdq, 3 * al + k) + ld(qn, a) * ld(dq, 3 * a + k));
    }
    for (let a = 0; a < n3; a++) {
      const al = a % 3, qa = ld(qn, a);
      for (let b = 0; b <= a; b++) {
        const be = b % 3, qb = ld(qn, b);
        let v = ld(work, a * n3 + b) - qa * ld(dq, 3 * b + al) - ld(dq, 3 * a + be) * qb + qa * qb * ld(qdq, 3 * al + be);
        if (al == be) v -= c * qa * qb;
        st(work, a * n3 + b, v);
      }
    }
    heap.free(qdq);
    heap.free(dq);
  }
  const stE = eighSym(n3, work, n3, evals, vecs, n3);
  if (stE != 0) {
    heap.free(s);
    if (qn) heap.free(qn);
    return stE == 1 ? 1 : 2;
  }
  // translations: the nt columns of largest overlap with span(Q)
  const isT = heap.alloc(<usize>n3 << 2);
  memory.fill(isT, 0, <usize>n3 << 2);
  let minOverlap: f64 = 1.0;
  if (nt == 3) {
    const ov = heap.alloc(<usize>n3 << 3);
    for (let j = 0; j < n3; j++) {
      let o0: f64 = 0, o1: f64 = 0, o2: f64 = 0;
      for (let a = 0; a < n3; a += 3) {
        o0 += ld(vecs, a * n3 + j) * ld(qn, a);
        o1 += ld(vecs, (a + 1) * n3 + j) * ld(qn, a + 1);
        o2 += ld(vecs, (a + 2) * n3 + j) * ld(qn, a + 2);
      }
      st(ov, j, o0 * o0 + o1 * o1 + o2 * o2);
    }
    for (let t = 0; t < nt; t++) {
      let best = -1;
      let bv: f64 = -1;
      for (let j = 0; j < n3; j++) {
        if (load<i32>(isT + (<usize>j << 2)) != 0) continue;
        if (ld(ov, j) > bv) {
          bv = ld(ov, j);
          best = j;
        }
      }
      store<i32>(isT + (<usize>best << 2), 1);
      if (bv < minOverlap) minOverlap = bv;
    }
    heap.free(ov);
  }
  // non-translational modes, ascending, as rows
  let maxAbs: f64 = 0;
  for (let j = 0; j < n3; j++) if (load<i32>(isT + (<usize>j << 2)) == 0) maxAbs = max(maxAbs, Math.abs(ld(evals, j)));
  const tol = 1e-12 * maxAbs;
  let mu = 0;
  let firstBad = -1;
  let nBad = 0;
  let f0: f64 = 0, s0: f64 = 0;
  const kt = KB_EV_K * temperature;
  for (let j = 0; j < n3; j++) {
    if (load<i32>(isT + (<usize>j << 2)) != 0) continue;
    const w2 = ld(evals, j);
    st(omega2, mu, w2);
    const prow = polar + (<usize>(mu * n3) << 3);
    const erow = etilde + (<usize>(mu * n3) << 3);
    for (let a = 0; a < n3; a++) {
      const e = ld(vecs, a * n3 + j);
      st(prow, a, e);
      st(erow, a, e * ld(s, a));
    }
    if (!(w2 > tol) || w2 <= 0) {
      nBad++;
      if (firstBad < 0) firstBad = mu;
      st(omega, mu, -Math.sqrt(Math.abs(w2)));
      st(occ, mu, 0);
      st(amp, mu, 0);
    } else {
      const w = Math.sqrt(w2);
      st(omega, mu, w);
      let n: f64 = 0;
      if (temperature > 0) {
        const x = HBAR_EV_TAU * w / kt;
        n = 1.0 / Math.expm1(x);
        f0 += 0.5 * HBAR_EV_TAU * w + kt * Math.log1p(-Math.exp(-x));
        if (n > 0) s0 += KB_EV_K * ((n + 1) * Math.log1p(n) - n * Math.log(n));
      } else {
        f0 += 0.5 * HBAR_EV_TAU * w;
      }
      st(occ, mu, n);
      st(amp, mu, Math.sqrt(HBAR_EV_TAU * (2 * n + 1) / (2 * w)));
    }
    mu++;
  }
  heap.free(isT);
  heap.free(s);
  if (qn) heap.free(qn);
  if (mu != m) abort("ssModes: wrong number of modes");
  store<i32>(info, firstBad);
  store<i32>(info, nBad, 4);
  st(scal, 0, f0);
  st(scal, 1, s0);
  st(scal, 2, minOverlap);
  st(scal, 3, c);
  if (nBad > 0 && (flags & 1) == 0) return SS_NONPOSITIVE;
  return 0;
}

export function ssNewton(m: i32, n3: i32, etilde: usize, omega2: usize, g: usize, out: usize): void {
  memory.fill(out, 0, <usize>n3 << 3);
  for (let mu = 0; mu < m; mu++) {
    const row = etilde + (<usize>(mu * n3) << 3);
    let d: f64 = 0;
    for (let a = 0; a < n3; a++) d += ld(row, a) * ld(g, a);
    const f = d / ld(omega2, mu);
    for (let a = 0; a < n3; a++) st(out, a, ld(out, a) + f * ld(row, a));
  }
}

export function ssRebuild(m: i32, n3: i32, polar: usize, values: usize, masses3: usize, work: usize, out: usize): void {
  for (let mu = 0; mu < m; mu++) {
    const v = ld(values, mu);
    const src = polar + (<usize>(mu * n3) << 3);
    const dst = work + (<usize>(mu * n3) << 3);
    for (let a = 0; a < n3; a++) st(dst, a, v * ld(src, a));
  }
  dgemm(1, 0, n3, n3, m, 1.0, polar, n3, work, n3, 0.0, out, n3);
  for (let a = 0; a < n3; a++) {
    const sa = Math.sqrt(ld(masses3, a));
    for (let b = 0; b <= a; b++) {
      const sb = Math.sqrt(ld(masses3, b));
      const v = 0.5 * (ld(out, a * n3 + b) + ld(out, b * n3 + a)) * sa * sb;
      st(out, a * n3 + b, v);
      st(out, b * n3 + a, v);
    }
  }
}

export function ssModeErrors(m: i32, n3: i32, etilde: usize, variance: usize, work: usize, out: usize): void {
  const sq = heap.alloc(<usize>(m * n3) << 3);
  for (let i = 0; i < m * n3; i++) {
    const e = ld(etilde, i);
    st(sq, i, e * e);
  }
  dgemm(0, 0, m, n3, n3, 1.0, sq, n3, variance, n3, 0.0, work, n3);
  for (let mu = 0; mu < m; mu++) {
    let acc: f64 = 0;
    for (let b = 0; b < n3; b++) acc += ld(work, mu * n3 + b) * ld(sq, mu * n3 + b);
    st(out, mu, acc);
  }
  heap.free(sq);
}

// ssPrecisionRatio(m, n3, polar, amp, polar0, amp0, k, kk, evals): f64
//   Smallest eigenvalue of Υ₀^{-1/2} Υ Υ₀^{-1/2} on the mode subspace (Υ = C⁻¹ of the current modes,
//   Υ₀ of the generating ones) = σ_min(K)² with K_μν = (e_μ·e⁰_ν) A⁰_ν / A_μ. Importance weights
//   ρ/ρ₀ have a finite variance only when it exceeds ½ (the current distribution is at most twice
//   as wide as the generating one in every direction). k, kk: m x m scratch, evals: m scratch.
//   Only the smallest eigenvalue is needed: Lanczos on S = KᵀK (matrix-vector products with K and
//   Kᵀ, full reorthogonalisation, fixed pseudo-random start vector, so the result is deterministic)
//   until the residual of the lowest Ritz pair is below 1e-10·‖S‖ (the Ritz value is then within
//   r²/gap of λ_min, i.e. at rounding level), instead of forming KᵀK (m³) and a dense
//   eigendecomposition (~4/3 m³). The spectrum of S is highly degenerate for symmetric crystals, so
//   this takes a few tens of iterations (bench case, 128 atoms: 19 → 8 ms). Small m, or no
//   convergence within PR_MAXIT iterations (spectra without degeneracies, ~+5 ms over the dense path):
//   the dense path (KᵀK, eighSymValues). Returns NaN if the eigensolver fails.
const PR_DENSE_BELOW: i32 = 48;
const PR_MAXIT: i32 = 64;
const PR_RTOL: f64 = 1e-10;

export function ssPrecisionRatio(m: i32, n3: i32, polar: usize, amp: usize, polar0: usize, amp0: usize, k: usize, kk: usize, evals: usize): f64 {
  dgemm(0, 1, m, m, n3, 1.0, polar, n3, polar0, n3, 0.0, k, m);
  for (let mu = 0; mu < m; mu++) {
    const ia = 1.0 / ld(amp, mu);
    for (let nu = 0; nu < m; nu++) st(k, mu * m + nu, ld(k, mu * m + nu) * ld(amp0, nu) * ia);
  }
  if (m >= PR_DENSE_BELOW) {
    const lam = lanczosSmallestKtK(m, k, kk);
    if (lam == lam) return lam;
  }
  dgemm(1, 0, m, m, m, 1.0, k, m, k, m, 0.0, kk, m);
  const s = eighSymValues(m, kk, m, evals);
  if (s != 0) return NaN;
  return ld(evals, 0);
}

// y = K x (K: m x m row-major)
function matVec(m: i32, a: usize, x: usize, y: usize): void {
  for (let i = 0; i < m; i++) {
    const r = a + (<usize>(i * m) << 3);
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= m; j += 4) {
      const o = <usize>j << 3;
      s0 = f64x2.add(s0, f64x2.mul(v128.load(r + o), v128.load(x + o)));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(r + o, 16), v128.load(x + o, 16)));
    }
    const s2 = f64x2.add(s0, s1);
    let s: f64 = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
    for (; j < m; j++) s += ld(r, j) * ld(x, j);
    st(y, i, s);
  }
}

// y = Kᵀ t = Σ_i t_i K_i (rows)
function matTVec(m: i32, a: usize, t: usize, y: usize): void {
  memory.fill(y, 0, <usize>m << 3);
  for (let i = 0; i < m; i++) {
    const r = a + (<usize>(i * m) << 3);
    const ti = ld(t, i);
    const tv = f64x2.splat(ti);
    let j = 0;
    for (; j + 2 <= m; j += 2) {
      const o = <usize>j << 3;
      v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(tv, v128.load(r + o))));
    }
    for (; j < m; j++) st(y, j, ld(y, j) + ti * ld(r, j));
  }
}

function vdot(x: usize, y: usize, n: i32): f64 {
  let s0 = f64x2.splat(0);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const o = <usize>j << 3;
    s0 = f64x2.add(s0, f64x2.mul(v128.load(x + o), v128.load(y + o)));
  }
  let s: f64 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  for (; j < n; j++) s += ld(x, j) * ld(y, j);
  return s;
}

// y −= c x
function vaxpy(c: f64, x: usize, y: usize, n: i32): void {
  const cv = f64x2.splat(c);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const o = <usize>j << 3;
    v128.store(y + o, f64x2.sub(v128.load(y + o), f64x2.mul(cv, v128.load(x + o))));
  }
  for (; j < n; j++) st(y, j, ld(y, j) - c * ld(x, j));
}

// Number of eigenvalues of the tridiagonal (d, e) (size n) below x (Sturm sequence).
function sturmCount(n: i32, d: usize, e: usize, x: f64): i32 {
  let c = 0;
  let q: f64 = 1;
  for (let i = 0; i < n; i++) {
    const e2 = i > 0 ? ld(e, i - 1) * ld(e, i - 1) : 0.0;
    q = ld(d, i) - x - (i > 0 ? e2 / q : 0.0);
    if (q == 0) q = 1e-300;
    if (q < 0) c++;
  }
  return c;
}

// Lowest eigenvalue of the tridiagonal (d, e) by bisection, and the last component of its
// normalised eigenvector (inverse iteration, two steps) in lastOut[0].
function tridiagLowest(n: i32, d: usize, e: usize, lastOut: usize, work: usize): f64 {
  let lo: f64 = Infinity, hi: f64 = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(ld(e, i - 1)) : 0.0) + (i < n - 1 ? Math.abs(ld(e, i)) : 0.0);
    lo = min(lo, ld(d, i) - r);
    hi = max(hi, ld(d, i) + r);
  }
  for (let it = 0; it < 200; it++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (sturmCount(n, d, e, mid) >= 1) hi = mid;
    else lo = mid;
  }
  const theta = 0.5 * (lo + hi);
  // inverse iteration on T − θ I (slightly perturbed shift): LU without pivoting of a tridiagonal
  const sc = max(Math.abs(lo), Math.abs(hi)) + 1e-300;
  const shift = theta - 1e-13 * sc;
  const x = work, u = work + (<usize>n << 3), l = work + (<usize>(2 * n) << 3);
  for (let i = 0; i < n; i++) st(x, i, 1.0);
  for (let rep = 0; rep < 3; rep++) {
    // factor: u_i diagonal of U, l_i multipliers
    st(u, 0, ld(d, 0) - shift);
    for (let i = 1; i < n; i++) {
      let up = ld(u, i - 1);
      if (up == 0) up = 1e-300;
      const li = ld(e, i - 1) / up;
      st(l, i, li);
      st(u, i, ld(d, i) - shift - li * ld(e, i - 1));
    }
    for (let i = 1; i < n; i++) st(x, i, ld(x, i) - ld(l, i) * ld(x, i - 1));
    let un = ld(u, n - 1);
    if (un == 0) un = 1e-300;
    st(x, n - 1, ld(x, n - 1) / un);
    for (let i = n - 2; i >= 0; i--) {
      let ui = ld(u, i);
      if (ui == 0) ui = 1e-300;
      st(x, i, (ld(x, i) - ld(e, i) * ld(x, i + 1)) / ui);
    }
    let nr: f64 = 0;
    for (let i = 0; i < n; i++) nr = max(nr, Math.abs(ld(x, i)));
    for (let i = 0; i < n; i++) st(x, i, ld(x, i) / nr);
  }
  let s2: f64 = 0;
  for (let i = 0; i < n; i++) s2 += ld(x, i) * ld(x, i);
  st(lastOut, 0, Math.abs(ld(x, n - 1)) / Math.sqrt(s2));
  return theta;
}

// λ_min(KᵀK) by Lanczos with full reorthogonalisation; NaN when not converged. q: m x m scratch
// (the Lanczos vectors, rows).
function lanczosSmallestKtK(m: i32, kmat: usize, q: usize): f64 {
  const maxit = min(m, PR_MAXIT);
  const mb = <usize>m << 3;
  const w = heap.alloc(mb), t = heap.alloc(mb);
  const al = heap.alloc(<usize>maxit << 3), be = heap.alloc(<usize>maxit << 3);
  const dd = heap.alloc(<usize>maxit << 3), ee = heap.alloc(<usize>maxit << 3);
  const work = heap.alloc(<usize>(3 * maxit) << 3), last = heap.alloc(8);
  // fixed pseudo-random start vector (xorshift), normalised
  let seed: u32 = 0x9e3779b9;
  let nrm: f64 = 0;
  for (let i = 0; i < m; i++) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    const v = <f64>seed / 4294967296.0 - 0.5;
    st(q, i, v);
    nrm += v * v;
  }
  nrm = Math.sqrt(nrm);
  for (let i = 0; i < m; i++) st(q, i, ld(q, i) / nrm);
  let result: f64 = NaN;
  let snorm: f64 = 0; // running estimate of ‖S‖ (largest |Ritz value| bound)
  for (let j = 0; j < maxit; j++) {
    const qj = q + (<usize>(j * m) << 3);
    matVec(m, kmat, qj, t);
    matTVec(m, kmat, t, w);
    const a = vdot(qj, w, m);
    st(al, j, a);
    vaxpy(a, qj, w, m);
    if (j > 0) vaxpy(ld(be, j - 1), qj - mb, w, m);
    // full reorthogonalisation, twice
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i <= j; i++) {
        const qi = q + (<usize>(i * m) << 3);
        vaxpy(vdot(qi, w, m), qi, w, m);
      }
    }
    const b = Math.sqrt(vdot(w, w, m));
    st(be, j, b);
    snorm = max(snorm, Math.abs(a) + b + (j > 0 ? ld(be, j - 1) : 0.0));
    const n = j + 1;
    memory.copy(dd, al, <usize>n << 3);
    memory.copy(ee, be, <usize>n << 3);
    const theta = tridiagLowest(n, dd, ee, last, work);
    const resid = b * ld(last, 0);
    if (resid <= PR_RTOL * snorm || b <= 1e-14 * snorm || n == m) {
      result = theta;
      break;
    }
    const qn = q + (<usize>((j + 1) * m) << 3);
    const ib = 1.0 / b;
    for (let i = 0; i < m; i++) st(qn, i, ld(w, i) * ib);
  }
  heap.free(last);
  heap.free(work);
  heap.free(ee);
  heap.free(dd);
  heap.free(be);
  heap.free(al);
  heap.free(t);
  heap.free(w);
  return result;
}
