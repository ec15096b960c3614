// Dense real symmetric eigensolver (f64, row-major).
//
//   eighSym(n, a, lda, w, v, ldv)   all eigenpairs: w ascending, v[i*ldv + j] = component i of
//                                   eigenvector j (vectors as columns).
//   eighSymValues(n, a, lda, w)     eigenvalues only.
//
// Only the LOWER triangle of a (a[i*lda + j], j <= i) is read. a is used as scratch and is
// OVERWRITTEN: on return its lower triangle holds the Householder vectors of the reduction (scaled
// copy of the input, no longer the input). The upper triangle may be overwritten too.
//
// Method: scale by a power of two (exact), blocked Householder tridiagonalisation working from the
// last row upwards (row i of the lower triangle is contiguous in row-major storage, so every
// reflector is a contiguous row), panels of NB reflectors with a rank-2*NB update of the trailing
// lower triangle through dgemm; then the tridiagonal divide and conquer solver (tridiagonal.ts);
// then the back-transformation with blocks of reflectors in compact WY form through dgemm.
// Status: 0 ok, 1 NaN/Inf in the lower triangle, 2 no convergence, 4 bad argument.

import { dgemm } from "./gemm";
import { tridiagEig, tridiagEigValues } from "./tridiagonal";
import { ldf, stf, rowPtr, pow2Scale, dot } from "./common";

const NB: i32 = 32; // reflectors per panel in the reduction
const NX: i32 = 96; // below this many remaining rows the rest is reduced unblocked
const RB: i32 = 64; // diagonal blocks of the trailing update's recursive split
const KB: i32 = 64; // reflectors per block in the back-transformation



// ---------------------------------------------------------------------------------------------
// f64x2 vector helpers on contiguous data


/** y[j] += alpha x[j], j < n */
function axpy(alpha: f64, x: usize, y: usize, n: i32): void {
  const av = f64x2.splat(alpha);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const o = <usize>j << 3;
    v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(av, v128.load(x + o))));
  }
  for (; j < n; j++) stf(y, j, ldf(y, j) + alpha * ldf(x, j));
}

/** y[j] -= a x[j] + b u[j], j < n */
function axpy2neg(a: f64, x: usize, b: f64, u: usize, y: usize, n: i32): void {
  const av = f64x2.splat(a);
  const bv = f64x2.splat(b);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const o = <usize>j << 3;
    const t = f64x2.add(f64x2.mul(av, v128.load(x + o)), f64x2.mul(bv, v128.load(u + o)));
    v128.store(y + o, f64x2.sub(v128.load(y + o), t));
  }
  for (; j < n; j++) stf(y, j, ldf(y, j) - (a * ldf(x, j) + b * ldf(u, j)));
}

/**
 * y[0..m) = S x with S the m x m symmetric matrix whose lower triangle is stored in the rows of A.
 * Each stored element is read once and feeds two outputs (row dot product and column update).
 * Rows go in blocks of four: four independent dot-product accumulators, and y is loaded and stored
 * once per four rows.
 */
function symvLower(m: i32, A: usize, lda: i32, x: usize, y: usize): void {
  memory.fill(y, 0, <usize>m << 3);
  const rs = <usize>lda << 3;
  let p = 0;
  for (; p + 4 <= m; p += 4) {
    const r0 = rowPtr(A, p, lda);
    const r1 = r0 + rs;
    const r2 = r1 + rs;
    const r3 = r2 + rs;
    const x0v = f64x2.splat(ldf(x, p));
    const x1v = f64x2.splat(ldf(x, p + 1));
    const x2v = f64x2.splat(ldf(x, p + 2));
    const x3v = f64x2.splat(ldf(x, p + 3));
    let acc0 = f64x2.splat(0);
    let acc1 = f64x2.splat(0);
    let acc2 = f64x2.splat(0);
    let acc3 = f64x2.splat(0);
    // p is a multiple of 4, so [0, p) is a whole number of pairs
    for (let q = 0; q < p; q += 2) {
      const o = <usize>q << 3;
      const xv = v128.load(x + o);
      const a0 = v128.load(r0 + o);
      const a1 = v128.load(r1 + o);
      const a2 = v128.load(r2 + o);
      const a3 = v128.load(r3 + o);
      acc0 = f64x2.add(acc0, f64x2.mul(a0, xv));
      acc1 = f64x2.add(acc1, f64x2.mul(a1, xv));
      acc2 = f64x2.add(acc2, f64x2.mul(a2, xv));
      acc3 = f64x2.add(acc3, f64x2.mul(a3, xv));
      const t01 = f64x2.add(f64x2.mul(a0, x0v), f64x2.mul(a1, x1v));
      const t23 = f64x2.add(f64x2.mul(a2, x2v), f64x2.mul(a3, x3v));
      v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.add(t01, t23)));
    }
    stf(y, p, ldf(y, p) + (f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1)));
    stf(y, p + 1, ldf(y, p + 1) + (f64x2.extract_lane(acc1, 0) + f64x2.extract_lane(acc1, 1)));
    stf(y, p + 2, ldf(y, p + 2) + (f64x2.extract_lane(acc2, 0) + f64x2.extract_lane(acc2, 1)));
    stf(y, p + 3, ldf(y, p + 3) + (f64x2.extract_lane(acc3, 0) + f64x2.extract_lane(acc3, 1)));
    // the 4 x 4 diagonal block
    for (let r = 0; r < 4; r++) {
      const rr = r0 + <usize>r * rs;
      const xr = ldf(x, p + r);
      let s = ldf(rr, p + r) * xr;
      for (let c = 0; c < r; c++) {
        const a = ldf(rr, p + c);
        s += a * ldf(x, p + c);
        stf(y, p + c, ldf(y, p + c) + a * xr);
      }
      stf(y, p + r, ldf(y, p + r) + s);
    }
  }
  for (; p < m; p++) {
    const r0 = rowPtr(A, p, lda);
    const x0 = ldf(x, p);
    const x0v = f64x2.splat(x0);
    let acc0 = f64x2.splat(0);
    let q = 0;
    for (; q + 2 <= p; q += 2) {
      const o = <usize>q << 3;
      const a0 = v128.load(r0 + o);
      acc0 = f64x2.add(acc0, f64x2.mul(a0, v128.load(x + o)));
      v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(a0, x0v)));
    }
    let s = f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1);
    for (; q < p; q++) {
      const a = ldf(r0, q);
      s += a * ldf(x, q);
      stf(y, q, ldf(y, q) + a * x0);
    }
    stf(y, p, ldf(y, p) + s + ldf(r0, p) * x0);
  }
}

// ---------------------------------------------------------------------------------------------
// reduction to tridiagonal form

/**
 * Reduce rows i0, i0-1, ..., i0-nb+1 (reflector H_i acts on indices 0..i-1 and turns row i into
 * (0, ..., 0, e[i-1], d[i])). The update of the leading block by the panel's reflectors is kept
 * pending as S <- S - V W^T - W V^T, with v_c in row nb+c and w_c in row c of RR (stride ldr).
 * Row i of A receives the pending update just before its reflector is formed.
 */
function reducePanel(
  A: usize, lda: i32, i0: i32, nb: i32, d: usize, e: usize, tau: usize, RR: usize, ldr: i32, y: usize, t2: usize,
): void {
  for (let c = 0; c < nb; c++) {
    const i = i0 - c;
    const ri = rowPtr(A, i, lda);
    // pending update of row i, columns 0..i
    for (let c2 = 0; c2 < c; c2++) {
      const wr = rowPtr(RR, c2, ldr);
      const vr = rowPtr(RR, nb + c2, ldr);
      axpy2neg(ldf(vr, i), wr, ldf(wr, i), vr, ri, i + 1);
    }
    stf(d, i, ldf(ri, i));
    if (i == 0) break;
    // reflector from x = row i, columns 0..i-1: H x = beta e_{i-1}
    const alpha = ldf(ri, i - 1);
    const sigma = dot(ri, ri, i - 1);
    const vr = rowPtr(RR, nb + c, ldr);
    const wr = rowPtr(RR, c, ldr);
    if (sigma == 0) {
      // already in tridiagonal form: H = I
      stf(tau, i, 0);
      stf(e, i - 1, alpha);
      memory.fill(vr, 0, <usize>i << 3);
      stf(vr, i - 1, 1.0);
      memory.fill(wr, 0, <usize>i << 3);
      stf(ri, i - 1, 1.0);
      continue;
    }
    const nrm = Math.sqrt(alpha * alpha + sigma);
    const beta = alpha >= 0 ? -nrm : nrm;
    const tc = (beta - alpha) / beta;
    const sc = 1.0 / (alpha - beta);
    for (let q = 0; q < i - 1; q++) stf(ri, q, ldf(ri, q) * sc);
    stf(ri, i - 1, 1.0);
    stf(e, i - 1, beta);
    stf(tau, i, tc);
    memory.copy(vr, ri, <usize>i << 3);
    // y = S v, S = stored leading block minus the pending panel update
    symvLower(i, A, lda, vr, y);
    for (let c2 = 0; c2 < c; c2++) {
      const w2 = rowPtr(RR, c2, ldr);
      const v2 = rowPtr(RR, nb + c2, ldr);
      stf(t2, 2 * c2, dot(w2, vr, i));
      stf(t2, 2 * c2 + 1, dot(v2, vr, i));
    }
    for (let c2 = 0; c2 < c; c2++) {
      const w2 = rowPtr(RR, c2, ldr);
      const v2 = rowPtr(RR, nb + c2, ldr);
      axpy2neg(ldf(t2, 2 * c2), v2, ldf(t2, 2 * c2 + 1), w2, y, i);
    }
    // w = tau y - (tau^2/2)(y.v) v
    const alpha2 = -0.5 * tc * tc * dot(y, vr, i);
    memory.copy(wr, y, <usize>i << 3);
    // wr = tc*y + alpha2*v
    const tv = f64x2.splat(tc);
    let q = 0;
    for (; q + 2 <= i; q += 2) {
      const o = <usize>q << 3;
      v128.store(wr + o, f64x2.mul(tv, v128.load(wr + o)));
    }
    for (; q < i; q++) stf(wr, q, tc * ldf(wr, q));
    axpy(alpha2, vr, wr, i);
  }
}

/** S[0..s, 0..s] (lower part) -= V^T W + W^T V for the panel in RR (recursive split, dgemm). */
function trailingUpdate(A: usize, lda: i32, s: i32, nb: i32, RR: usize, ldr: i32, L: usize): void {
  const k2 = 2 * nb;
  // L (s x 2nb): L[p][c] = v_c[p], L[p][nb + c] = w_c[p]; then S -= L * RR with RR = [W; V]
  for (let c = 0; c < nb; c++) {
    const vr = rowPtr(RR, nb + c, ldr);
    const wr = rowPtr(RR, c, ldr);
    for (let p = 0; p < s; p++) {
      const lp = rowPtr(L, p, k2);
      stf(lp, c, ldf(vr, p));
      stf(lp, nb + c, ldf(wr, p));
    }
  }
  syr2kLower(A, lda, 0, s, L, k2, RR, ldr);
}

/**
 * Rows/columns [r0, r0 + size) of the lower triangle: S -= L RR, split recursively into two
 * triangles and one full off-diagonal block, so almost no flops go to the upper triangle and each
 * dgemm call is large. Diagonal blocks of at most RB rows are updated as full squares (the upper
 * part of A is scratch).
 */
function syr2kLower(A: usize, lda: i32, r0: i32, size: i32, L: usize, k2: i32, RR: usize, ldr: i32): void {
  if (size <= RB) {
    dgemm(0, 0, size, size, k2, -1.0, rowPtr(L, r0, k2), k2, RR + (<usize>r0 << 3), ldr, 1.0, rowPtr(A, r0, lda) + (<usize>r0 << 3), lda);
    return;
  }
  const h = ((size >> 1) + 7) & ~7;
  syr2kLower(A, lda, r0, h, L, k2, RR, ldr);
  dgemm(0, 0, size - h, h, k2, -1.0, rowPtr(L, r0 + h, k2), k2, RR + (<usize>r0 << 3), ldr, 1.0, rowPtr(A, r0 + h, lda) + (<usize>r0 << 3), lda);
  syr2kLower(A, lda, r0 + h, size - h, L, k2, RR, ldr);
}

/** Householder reduction of the (scaled) lower triangle of A to tridiagonal (d, e); tau[i] for H_i. */
function tridiagonalize(n: i32, A: usize, lda: i32, d: usize, e: usize, tau: usize, ws: usize): void {
  const ldr = (n + 1) & ~1;
  const nbMax = NB + NX;
  const RR = ws; // 2*nbMax rows of ldr
  const y = RR + ((<usize>(2 * nbMax) * <usize>ldr) << 3);
  const t2 = y + (<usize>ldr << 3);
  const L = t2 + (<usize>(2 * nbMax) << 3);
  stf(tau, 0, 0);
  let i0 = n - 1;
  while (i0 >= 0) {
    let nb = NB;
    if (i0 + 1 - nb < NX) nb = i0 + 1; // the rest in one unblocked panel
    reducePanel(A, lda, i0, nb, d, e, tau, RR, ldr, y, t2);
    const s = i0 + 1 - nb;
    if (s > 0) trailingUpdate(A, lda, s, nb, RR, ldr, L);
    i0 -= nb;
  }
}

function tridiagWorkBytes(n: i32): usize {
  const ldr = <usize>((n + 1) & ~1);
  const nbMax = <usize>(NB + NX);
  return ((2 * nbMax * ldr + ldr + 2 * nbMax + <usize>n * 2 * <usize>NB) << 3) + 64;
}

// ---------------------------------------------------------------------------------------------
// back-transformation: Z <- H_{n-1} ... H_2 H_1 Z

function backTransform(n: i32, A: usize, lda: i32, tau: usize, Z: usize, ldz: i32, ws: usize): void {
  const Ur = ws; // KB x n: rows u_j (reflector b - j), zero padded
  const Uc = Ur + ((<usize>KB * <usize>n) << 3); // n x KB: transpose
  const T = Uc + ((<usize>KB * <usize>n) << 3); // KB x KB upper triangular
  const M1 = T + ((<usize>KB * <usize>KB) << 3); // KB x n: U^T Z
  const UT = M1 + ((<usize>KB * <usize>n) << 3); // n x KB: U T
  const tmp = UT + ((<usize>KB * <usize>n) << 3); // KB
  let a = 2; // H_1 is always the identity (a 1-vector needs no reflection)
  while (a <= n - 1) {
    const b = min(a + KB - 1, n - 1);
    const k = b - a + 1;
    const Lr = b; // rows touched: 0..b-1
    // u_j = v_{b-j}: v_i[q] = A[i][q] for q < i-1, 1 at i-1, 0 beyond
    for (let j = 0; j < k; j++) {
      const i = b - j;
      const ur = rowPtr(Ur, j, Lr);
      memory.copy(ur, rowPtr(A, i, lda), <usize>(i - 1) << 3);
      stf(ur, i - 1, 1.0);
      if (Lr > i) memory.fill(ur + (<usize>i << 3), 0, <usize>(Lr - i) << 3);
    }
    // T: forward accumulation of H(u_0) H(u_1) ... H(u_{k-1}) = I - U T U^T
    memory.fill(T, 0, (<usize>k * <usize>k) << 3);
    for (let j = 0; j < k; j++) {
      const tj = ldf(tau, b - j);
      const uj = rowPtr(Ur, j, Lr);
      const len = b - j;
      for (let l = 0; l < j; l++) stf(tmp, l, dot(rowPtr(Ur, l, Lr), uj, len));
      for (let l = 0; l < j; l++) {
        let s: f64 = 0;
        for (let mm = l; mm < j; mm++) s += ldf(T, l * k + mm) * ldf(tmp, mm);
        stf(T, l * k + j, -tj * s);
      }
      stf(T, j * k + j, tj);
    }
    for (let q = 0; q < Lr; q++) {
      const dst = rowPtr(Uc, q, k);
      for (let j = 0; j < k; j++) stf(dst, j, ldf(Ur, j * Lr + q));
    }
    // Z <- Z - (U T)(U^T Z): U T costs 2 Lr k^2, less than T (U^T Z) at 2 k^2 n
    dgemm(0, 0, k, n, Lr, 1.0, Ur, Lr, Z, ldz, 0.0, M1, n);
    dgemm(0, 0, Lr, k, k, 1.0, Uc, k, T, k, 0.0, UT, k);
    dgemm(0, 0, Lr, n, k, -1.0, UT, k, M1, n, 1.0, Z, ldz);
    a = b + 1;
  }
}

function backWorkBytes(n: i32): usize {
  return ((<usize>KB * <usize>n * 4 + <usize>KB * <usize>KB + <usize>KB) << 3) + 64;
}

/** Max |a_ij| over the lower triangle, or NaN if any entry there is NaN or infinite. */
function lowerMaxAbs(n: i32, a: usize, lda: i32): f64 {
  let mx: f64 = 0;
  let acc: f64 = 0;
  for (let i = 0; i < n; i++) {
    const r = rowPtr(a, i, lda);
    for (let j = 0; j <= i; j++) {
      const x = ldf(r, j);
      acc += x * 0.0;
      mx = Math.max(mx, Math.abs(x));
    }
  }
  return acc == acc ? mx : NaN;
}

function scaleLower(n: i32, a: usize, lda: i32, s: f64): void {
  for (let i = 0; i < n; i++) {
    const r = rowPtr(a, i, lda);
    for (let j = 0; j <= i; j++) stf(r, j, ldf(r, j) * s);
  }
}

/**
 * Stage 1 on its own (for profiling and reuse): scale-free Householder reduction of the lower
 * triangle of a to tridiagonal form; d (n), e (n-1), tau (n). a is overwritten with the reflectors.
 * No NaN check and no scaling here.
 */
export function eighTridiagonalize(n: i32, a: usize, lda: i32, d: usize, e: usize, tau: usize): i32 {
  if (n < 1 || lda < n) return 4;
  const ws = heap.alloc(tridiagWorkBytes(n));
  tridiagonalize(n, a, lda, d, e, tau, ws);
  heap.free(ws);
  return 0;
}

/** Stage 3 on its own: z <- Q z with Q the product of the reflectors left by eighTridiagonalize. */
export function eighBackTransform(n: i32, a: usize, lda: i32, tau: usize, z: usize, ldz: i32): i32 {
  if (n < 1 || lda < n || ldz < n) return 4;
  const ws = heap.alloc(backWorkBytes(n));
  backTransform(n, a, lda, tau, z, ldz, ws);
  heap.free(ws);
  return 0;
}

/**
 * All eigenpairs of the symmetric matrix whose lower triangle is in a (see the file header; a is
 * overwritten). w: n eigenvalues ascending; v: n x n (stride ldv), eigenvectors as columns.
 */
export function eighSym(n: i32, a: usize, lda: i32, w: usize, v: usize, ldv: i32): i32 {
  if (n < 0 || lda < n || ldv < n) return 4;
  if (n == 0) return 0;
  const amax = lowerMaxAbs(n, a, lda);
  if (amax != amax) return 1;
  if (n == 1) {
    stf(w, 0, load<f64>(a));
    store<f64>(v, 1.0);
    return 0;
  }
  if (amax == 0) {
    for (let i = 0; i < n; i++) {
      stf(w, i, 0);
      const r = rowPtr(v, i, ldv);
      memory.fill(r, 0, <usize>n << 3);
      stf(r, i, 1.0);
    }
    return 0;
  }
  const sc = pow2Scale(amax);
  scaleLower(n, a, lda, sc);
  const vecs = heap.alloc(<usize>(3 * n + 2) << 3);
  const e = vecs;
  const tau = e + (<usize>(n + 1) << 3);
  const wsBytes = max(tridiagWorkBytes(n), backWorkBytes(n));
  const ws = heap.alloc(wsBytes);
  tridiagonalize(n, a, lda, w, e, tau, ws);
  let st = tridiagEig(n, w, e, v, ldv);
  if (st == 0) backTransform(n, a, lda, tau, v, ldv, ws);
  heap.free(ws);
  heap.free(vecs);
  if (st == 0) {
    const inv = 1.0 / sc;
    for (let i = 0; i < n; i++) stf(w, i, ldf(w, i) * inv);
  }
  return st;
}

/** Eigenvalues only (ascending into w); a is overwritten as in eighSym. */
export function eighSymValues(n: i32, a: usize, lda: i32, w: usize): i32 {
  if (n < 0 || lda < n) return 4;
  if (n == 0) return 0;
  const amax = lowerMaxAbs(n, a, lda);
  if (amax != amax) return 1;
  if (n == 1) {
    stf(w, 0, load<f64>(a));
    return 0;
  }
  if (amax == 0) {
    for (let i = 0; i < n; i++) stf(w, i, 0);
    return 0;
  }
  const sc = pow2Scale(amax);
  scaleLower(n, a, lda, sc);
  const vecs = heap.alloc(<usize>(3 * n + 2) << 3);
  const e = vecs;
  const tau = e + (<usize>(n + 1) << 3);
  const ws = heap.alloc(tridiagWorkBytes(n));
  tridiagonalize(n, a, lda, w, e, tau, ws);
  const st = tridiagEigValues(n, w, e);
  heap.free(ws);
  heap.free(vecs);
  if (st == 0) {
    const inv = 1.0 / sc;
    for (let i = 0; i < n; i++) stf(w, i, ldf(w, i) * inv);
  }
  return st;
}
