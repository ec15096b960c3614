// Functions of real symmetric matrices through the eigendecomposition A = V diag(lambda) V^T.
//
// All routines read only the lower triangle of `a` (row-major, row stride lda) and never modify
// it. Results are written to `out` (n x n, row stride ldo) in full, and are symmetric to the last
// bit: after forming V diag(f) V^T with dgemm, out(i,j) and out(j,i) are both replaced by
// 0.5 * (out(i,j) + out(j,i)).
//
//   symFunction(n, a, lda, out, ldo, kind, p, rtol): i32      out = f(A), f chosen by `kind`:
//       0 FN_SQRT     sqrt(lambda)       A must be positive semidefinite
//       1 FN_INVSQRT  1/sqrt(lambda)     A must be positive definite
//       2 FN_INV      1/lambda           A must be positive definite
//       3 FN_POW      lambda^p           p > 0: semidefinite; p <= 0: definite
//       4 FN_EXP      exp(p * lambda)    any A
//       5 FN_LOG      log(lambda)        A must be positive definite
//   symSqrt(n, a, lda, out, ldo, rtol)      = symFunction(..., FN_SQRT, 0, rtol)
//   symInvSqrt(n, a, lda, out, ldo, rtol)   = symFunction(..., FN_INVSQRT, 0, rtol)
//   symFromEigen(n, m, f, v, ldv, out, ldo) out = sum_{j<m} f[j] v_j v_j^T (v_j = column j of v)
//
// Definiteness tolerance. With lmax = max_j |lambda_j| and tol = rtol * lmax (rtol <= 0 selects
// the default rtol = 1e-14 * max(n, 10), a few times the eigensolver's backward error):
//   * "semidefinite" functions: an eigenvalue < -tol is significantly negative -> status 3;
//     eigenvalues in [-tol, 0) are treated as 0;
//   * "definite" functions: an eigenvalue <= tol -> status 3 (A is numerically singular or
//     indefinite), so A^{-1/2} is never formed from noise.
//
//   symPinvExcluding(n, a, lda, x, nx, ldx, out, ldo, rcond): i32
//       Pseudo-inverse of A on the orthogonal complement of span(x), where x is n x nx (row
//       stride ldx) and its columns are the vectors to exclude (e.g. the three uniform
//       translations of the acoustic sum rule; they need not be orthonormal nor independent).
//       1. The columns are orthonormalised (modified Gram-Schmidt, two passes); a column whose
//          part orthogonal to the previous ones is below 1e-10 of its length is dependent and
//          skipped. Q (n x r) is the result, P = I - Q Q^T.
//       2. B = P A P - c Q Q^T with c = 2 ||A||_F (1 if A = 0) is diagonalised: on span(Q) it
//          acts as -c, far below the spectrum of PAP, so the r vectors of span(Q) come out as an
//          isolated cluster and cannot mix with (near-)zero modes of A in the complement.
//       3. An eigenvector is excluded by its overlap with span(x): ||Q^T v_j||^2 > 1/2 (exactly r
//          vectors; if rounding ever gave a different count, the r largest overlaps are taken).
//       4. In the complement, eigenvalues with |lambda_j| <= rcond * max|lambda| (max over the
//          complement) are dropped too (exact zeros always are).
//       5. The kept vectors are projected with P once more (so out Q = 0 to rounding) and
//          out = sum v_j v_j^T / lambda_j is formed with dgemm and symmetrised.
//       Status 0 ok, 1 NaN/Inf in a or x, 2 eigensolver did not converge, 4 bad argument.
//
// Status codes of symFunction: 0 ok, 1 NaN/Inf, 2 no convergence, 3 not (semi)definite as
// required, 4 bad argument (sizes, unknown kind).

import { dgemm } from "./gemm";
import { eighSym } from "./eigh";
import { at, lowerFinite } from "./common";

export const FN_SQRT: i32 = 0;
export const FN_INVSQRT: i32 = 1;
export const FN_INV: i32 = 2;
export const FN_POW: i32 = 3;
export const FN_EXP: i32 = 4;
export const FN_LOG: i32 = 5;


const EPS: f64 = 2.220446049250313e-16;



// Lower triangle of a into a full symmetric n x n matrix (row stride n).
function symmetricCopy(n: i32, a: usize, lda: i32, dst: usize): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = load<f64>(at(a, lda, i, j));
      store<f64>(at(dst, n, i, j), x);
      store<f64>(at(dst, n, j, i), x);
    }
  }
}

// out(i,j) = out(j,i) = (out(i,j) + out(j,i)) / 2
function symmetrise(n: i32, out: usize, ldo: i32): void {
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const p = at(out, ldo, i, j), q = at(out, ldo, j, i);
      const s = 0.5 * (load<f64>(p) + load<f64>(q));
      store<f64>(p, s);
      store<f64>(q, s);
    }
  }
}

/** out = sum_{j<m} f[j] v_j v_j^T for the m columns v_j of v (n x m, row stride ldv). */
export function symFromEigen(n: i32, m: i32, f: usize, v: usize, ldv: i32, out: usize, ldo: i32): i32 {
  if (n < 0 || m < 0 || ldv < m || ldo < n) return 4;
  if (n == 0) return 0;
  if (m == 0) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) store<f64>(at(out, ldo, i, j), 0);
    return 0;
  }
  const G = heap.alloc(<usize>n * <usize>m << 3);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      store<f64>(at(G, m, i, j), load<f64>(at(v, ldv, i, j)) * load<f64>(f + (<usize>j << 3)));
    }
  }
  dgemm(0, 1, n, n, m, 1.0, G, m, v, ldv, 0.0, out, ldo);
  heap.free(G);
  symmetrise(n, out, ldo);
  return 0;
}

export function symFunction(n: i32, a: usize, lda: i32, out: usize, ldo: i32, kind: i32, p: f64, rtol: f64): i32 {
  if (n < 0 || lda < n || ldo < n || kind < 0 || kind > 5 || p != p || rtol != rtol) return 4;
  if (n == 0) return 0;
  if (!lowerFinite(n, a, lda)) return 1;
  const nn = <usize>n;
  const A = heap.alloc((nn * nn) << 3);
  const V = heap.alloc((nn * nn) << 3);
  const w = heap.alloc(nn << 3);
  symmetricCopy(n, a, lda, A);
  let st = eighSym(n, A, n, w, V, n);
  if (st == 0) {
    let lmax: f64 = 0;
    for (let j = 0; j < n; j++) lmax = Math.max(lmax, Math.abs(load<f64>(w + (<usize>j << 3))));
    const tol = (rtol > 0 ? rtol : 1e-14 * <f64>max(n, 10)) * lmax;
    // semidefinite (clamp small negatives) or definite requirement
    const needDefinite = kind == FN_INVSQRT || kind == FN_INV || kind == FN_LOG || (kind == FN_POW && p <= 0);
    const needSemi = kind == FN_SQRT || (kind == FN_POW && p > 0);
    for (let j = 0; j < n && st == 0; j++) {
      const wp = w + (<usize>j << 3);
      let l = load<f64>(wp);
      if (needDefinite && !(l > tol)) st = 3;
      if (needSemi) {
        if (l < -tol) st = 3;
        else if (l < 0) l = 0;
      }
      let f: f64 = 0;
      if (kind == FN_SQRT) f = Math.sqrt(l);
      else if (kind == FN_INVSQRT) f = 1.0 / Math.sqrt(l);
      else if (kind == FN_INV) f = 1.0 / l;
      else if (kind == FN_POW) f = l == 0 ? 0 : Math.pow(l, p);
      else if (kind == FN_EXP) f = Math.exp(p * l);
      else f = Math.log(l);
      store<f64>(wp, f);
    }
    if (st == 0) st = symFromEigen(n, n, w, V, n, out, ldo);
  }
  heap.free(w);
  heap.free(V);
  heap.free(A);
  return st;
}

export function symSqrt(n: i32, a: usize, lda: i32, out: usize, ldo: i32, rtol: f64): i32 {
  return symFunction(n, a, lda, out, ldo, FN_SQRT, 0, rtol);
}

export function symInvSqrt(n: i32, a: usize, lda: i32, out: usize, ldo: i32, rtol: f64): i32 {
  return symFunction(n, a, lda, out, ldo, FN_INVSQRT, 0, rtol);
}

export function symPinvExcluding(
  n: i32, a: usize, lda: i32, x: usize, nx: i32, ldx: i32, out: usize, ldo: i32, rcond: f64,
): i32 {
  if (n < 0 || nx < 0 || lda < n || ldx < nx || ldo < n || !(rcond >= 0) || !isFinite(rcond)) return 4;
  if (n == 0) return 0;
  if (!lowerFinite(n, a, lda)) return 1;
  {
    let acc: f64 = 0;
    for (let i = 0; i < n; i++) for (let c = 0; c < nx; c++) acc += load<f64>(at(x, ldx, i, c)) * 0.0;
    if (acc != acc) return 1;
  }
  const nn = <usize>n;

  // 1. Orthonormal basis of span(x) as rows of Qt (r x n).
  const Qt = heap.alloc(<usize>max(nx, 1) * nn << 3);
  let r = 0;
  for (let c = 0; c < nx; c++) {
    const q = at(Qt, n, r, 0);
    let amax: f64 = 0;
    for (let i = 0; i < n; i++) amax = Math.max(amax, Math.abs(load<f64>(at(x, ldx, i, c))));
    if (amax == 0) continue;
    let n0: f64 = 0;
    for (let i = 0; i < n; i++) {
      const y = load<f64>(at(x, ldx, i, c)) / amax;
      store<f64>(q + (<usize>i << 3), y);
      n0 += y * y;
    }
    n0 = Math.sqrt(n0);
    for (let pass = 0; pass < 2; pass++) {
      for (let s = 0; s < r; s++) {
        const qs = at(Qt, n, s, 0);
        let d: f64 = 0;
        for (let i = 0; i < n; i++) d += load<f64>(qs + (<usize>i << 3)) * load<f64>(q + (<usize>i << 3));
        for (let i = 0; i < n; i++) store<f64>(q + (<usize>i << 3), load<f64>(q + (<usize>i << 3)) - d * load<f64>(qs + (<usize>i << 3)));
      }
    }
    let n1: f64 = 0;
    for (let i = 0; i < n; i++) n1 += load<f64>(q + (<usize>i << 3)) * load<f64>(q + (<usize>i << 3));
    n1 = Math.sqrt(n1);
    if (!(n1 > 1e-10 * n0)) continue;
    for (let i = 0; i < n; i++) store<f64>(q + (<usize>i << 3), load<f64>(q + (<usize>i << 3)) / n1);
    r++;
  }

  // 2. B = A - H Q^T - Q H^T, H = A Q - Q (Q^T A Q) / 2 + (c/2) Q.
  const B = heap.alloc((nn * nn) << 3);
  symmetricCopy(n, a, lda, B);
  let fro: f64 = 0;
  {
    let big: f64 = 0;
    for (let i = 0; i < n * n; i++) big = Math.max(big, Math.abs(load<f64>(B + (<usize>i << 3))));
    if (big > 0) {
      let ss: f64 = 0;
      for (let i = 0; i < n * n; i++) {
        const y = load<f64>(B + (<usize>i << 3)) / big;
        ss += y * y;
      }
      fro = big * Math.sqrt(ss);
    }
  }
  const shift = fro > 0 ? 2.0 * fro : 1.0;
  const rr = max(r, 1);
  const H = heap.alloc(nn * <usize>rr << 3);
  const S = heap.alloc(<usize>(rr * rr) << 3);
  if (r > 0) {
    dgemm(0, 1, n, r, n, 1.0, B, n, Qt, n, 0.0, H, r); // H = A Q  (n x r)
    for (let s = 0; s < r; s++) {
      for (let t = 0; t < r; t++) {
        let d: f64 = 0;
        for (let i = 0; i < n; i++) d += load<f64>(at(Qt, n, s, i)) * load<f64>(at(H, r, i, t));
        store<f64>(at(S, r, s, t), d);
      }
    }
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < r; t++) {
        let d: f64 = 0;
        for (let s = 0; s < r; s++) d += load<f64>(at(Qt, n, s, i)) * load<f64>(at(S, r, s, t));
        const hp = at(H, r, i, t);
        store<f64>(hp, load<f64>(hp) - 0.5 * d + 0.5 * shift * load<f64>(at(Qt, n, t, i)));
      }
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let d: f64 = 0;
        for (let t = 0; t < r; t++) {
          d += load<f64>(at(H, r, i, t)) * load<f64>(at(Qt, n, t, j)) + load<f64>(at(Qt, n, t, i)) * load<f64>(at(H, r, j, t));
        }
        const bp = at(B, n, i, j);
        store<f64>(bp, load<f64>(bp) - d);
      }
    }
  }

  const V = heap.alloc((nn * nn) << 3);
  const w = heap.alloc(nn << 3);
  let st = eighSym(n, B, n, w, V, n);
  if (st == 0) {
    // 3. overlaps with span(x): M = Q^T V (r x n), o_j = sum_t M[t][j]^2
    const M = heap.alloc(<usize>rr * nn << 3);
    const ov = heap.alloc(nn << 3);
    const keep = heap.alloc(nn << 2);
    if (r > 0) dgemm(0, 0, r, n, n, 1.0, Qt, n, V, n, 0.0, M, n);
    let excluded = 0;
    for (let j = 0; j < n; j++) {
      let o: f64 = 0;
      for (let t = 0; t < r; t++) {
        const y = load<f64>(at(M, n, t, j));
        o += y * y;
      }
      store<f64>(ov + (<usize>j << 3), o);
      const ex = o > 0.5;
      store<i32>(keep + (<usize>j << 2), ex ? 0 : 1);
      if (ex) excluded++;
    }
    if (excluded != r) {
      // fallback: exclude exactly the r largest overlaps
      for (let j = 0; j < n; j++) store<i32>(keep + (<usize>j << 2), 1);
      for (let t = 0; t < r; t++) {
        let best = -1;
        let bo: f64 = -1;
        for (let j = 0; j < n; j++) {
          if (load<i32>(keep + (<usize>j << 2)) == 0) continue;
          const o = load<f64>(ov + (<usize>j << 3));
          if (o > bo) { bo = o; best = j; }
        }
        store<i32>(keep + (<usize>best << 2), 0);
      }
    }
    // 4. threshold inside the complement
    let lmax: f64 = 0;
    for (let j = 0; j < n; j++) {
      if (load<i32>(keep + (<usize>j << 2)) != 0) lmax = Math.max(lmax, Math.abs(load<f64>(w + (<usize>j << 3))));
    }
    const cut = rcond * lmax;
    // 5. kept vectors, projected with P, compacted into K (n x m), f = 1/lambda
    const K = heap.alloc(nn * nn << 3);
    const f = heap.alloc(nn << 3);
    let m = 0;
    for (let j = 0; j < n; j++) {
      const l = load<f64>(w + (<usize>j << 3));
      if (load<i32>(keep + (<usize>j << 2)) == 0 || l == 0 || Math.abs(l) <= cut) continue;
      store<f64>(f + (<usize>m << 3), 1.0 / l);
      for (let i = 0; i < n; i++) {
        let y = load<f64>(at(V, n, i, j));
        for (let t = 0; t < r; t++) y -= load<f64>(at(Qt, n, t, i)) * load<f64>(at(M, n, t, j));
        store<f64>(at(K, n, i, m), y);
      }
      m++;
    }
    st = symFromEigen(n, m, f, K, n, out, ldo);
    heap.free(f);
    heap.free(K);
    heap.free(keep);
    heap.free(ov);
    heap.free(M);
  }
  heap.free(w);
  heap.free(V);
  heap.free(S);
  heap.free(H);
  heap.free(B);
  heap.free(Qt);
  return st;
}
