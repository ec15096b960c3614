// Symmetric tridiagonal eigensolver (f64, row-major eigenvector matrices, vectors as columns).
//
//   tridiagEig        divide and conquer (Cuppen's split, rank-one merge with deflation, secular
//                     equation solved about the nearest pole, Gu–Eisenstat recomputation of the
//                     rank-one vector from Löwner's formula, GEMM for the merge), with implicit QL
//                     on leaves of at most LEAF rows and as a fallback.
//   tridiagEigQL      implicit QL with a Wilkinson-type shift only (vectors accumulated).
//   tridiagEigValues  implicit QL, eigenvalues only (O(n^2)).
//
// Storage: d[0..n) diagonal, e[0..n-1) off-diagonal (e[i] couples rows i and i+1), z is n x n with
// row stride ldz and z[i*ldz + j] = component i of eigenvector j. Eigenvalues come back ascending in
// d; e is destroyed. Status: 0 ok, 1 NaN/Inf in d or e, 2 no convergence, 4 bad argument.
// The matrix is scaled by a power of two (exact) before solving and the eigenvalues unscaled after.

import { dgemm } from "./gemm";
import { ldf, stf, ldi, sti, rowPtr, pow2Scale, finiteVec } from "./common";

const EPS: f64 = 2.220446049250313e-16; // 2^-52, spacing of doubles at 1
const TINY: f64 = 2.2250738585072014e-308; // smallest normal double
const LEAF: i32 = 25; // blocks this small are solved by implicit QL
const SEC_MAXIT: i32 = 200; // iterations per secular root (bisection fallback guarantees progress)
const QL_MAXIT: i32 = 60; // QL sweeps per eigenvalue

// ---------------------------------------------------------------------------------------------
// small memory helpers




/** x <- c x - s y, y <- s x + c y on two contiguous rows of length n. */
function rotRows(x: usize, y: usize, n: i32, c: f64, s: f64): void {
  const cv = f64x2.splat(c);
  const sv = f64x2.splat(s);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const o = <usize>j << 3;
    const xv = v128.load(x + o);
    const yv = v128.load(y + o);
    v128.store(x + o, f64x2.sub(f64x2.mul(cv, xv), f64x2.mul(sv, yv)));
    v128.store(y + o, f64x2.add(f64x2.mul(sv, xv), f64x2.mul(cv, yv)));
  }
  if (j < n) {
    const o = <usize>j << 3;
    const xs = load<f64>(x + o);
    const ys = load<f64>(y + o);
    store<f64>(x + o, c * xs - s * ys);
    store<f64>(y + o, s * xs + c * ys);
  }
}

// ---------------------------------------------------------------------------------------------
// implicit QL

/**
 * Implicit QL with a Wilkinson-type shift on (d[0..n), e[0..n-1)); e must have n slots (e[n-1] is
 * scratch). When zt != 0 the plane rotations are applied to ROWS of zt (row r = vector r, length
 * n, stride ldz), so start from the identity to get eigenvectors as rows. Unsorted on return.
 */
function qlCore(n: i32, d: usize, e: usize, zt: usize, ldz: i32): i32 {
  if (n <= 1) return 0;
  stf(e, n - 1, 0);
  for (let l = 0; l < n; l++) {
    let sweeps = 0;
    while (true) {
      // find the first negligible off-diagonal at or below l
      let m = l;
      for (; m < n - 1; m++) {
        const em = Math.abs(ldf(e, m));
        if (em <= EPS * (Math.abs(ldf(d, m)) + Math.abs(ldf(d, m + 1))) || em < TINY) break;
      }
      if (m == l) break;
      if (++sweeps > QL_MAXIT) return 2;
      // shift from the leading 2x2 block (the eigenvalue of it nearer d[l])
      const dl = ldf(d, l);
      const el = ldf(e, l);
      let g = (ldf(d, l + 1) - dl) / (2.0 * el);
      let r = Math.hypot(g, 1.0);
      g = ldf(d, m) - dl + el / (g + (g >= 0 ? r : -r));
      let s: f64 = 1.0;
      let c: f64 = 1.0;
      let p: f64 = 0.0;
      let early = false;
      // chase the bulge from row m-1 up to row l
      for (let i = m - 1; i >= l; i--) {
        const ei = ldf(e, i);
        const f = s * ei;
        const b = c * ei;
        r = Math.hypot(f, g);
        stf(e, i + 1, r);
        if (r == 0) {
          // underflow: the problem splits here; undo the pending shift and restart
          stf(d, i + 1, ldf(d, i + 1) - p);
          stf(e, m, 0);
          early = true;
          break;
        }
        s = f / r;
        c = g / r;
        const h = ldf(d, i + 1) - p;
        r = (ldf(d, i) - h) * s + 2.0 * c * b;
        p = s * r;
        stf(d, i + 1, h + p);
        g = c * r - b;
        if (zt != 0) rotRows(rowPtr(zt, i, ldz), rowPtr(zt, i + 1, ldz), n, c, s);
      }
      if (early) continue;
      stf(d, l, ldf(d, l) - p);
      stf(e, l, g);
      stf(e, m, 0);
    }
  }
  return 0;
}

/** Sort d ascending (selection sort), permuting rows of zt (if given) alike. */
function sortWithRows(n: i32, d: usize, zt: usize, ldz: i32, rowLen: i32): void {
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let v = ldf(d, i);
    for (let j = i + 1; j < n; j++) {
      const dj = ldf(d, j);
      if (dj < v) {
        v = dj;
        k = j;
      }
    }
    if (k != i) {
      stf(d, k, ldf(d, i));
      stf(d, i, v);
      if (zt != 0) {
        const a = rowPtr(zt, i, ldz);
        const b = rowPtr(zt, k, ldz);
        for (let j = 0; j < rowLen; j++) {
          const o = <usize>j << 3;
          const t = load<f64>(a + o);
          store<f64>(a + o, load<f64>(b + o));
          store<f64>(b + o, t);
        }
      }
    }
  }
}

/**
 * QL on one block: eigenvalues into d (ascending), eigenvectors as columns into q (n x n, stride
 * ldq). Uses scratch `ws` of (n*n + n) f64. e is read (n-1 values) and not modified.
 */
function qlBlock(n: i32, d: usize, e: usize, q: usize, ldq: i32, ws: usize): i32 {
  const zt = ws;
  const ee = ws + ((<usize>n * <usize>n) << 3);
  memory.fill(zt, 0, (<usize>n * <usize>n) << 3);
  for (let i = 0; i < n; i++) stf(zt, i * n + i, 1.0);
  for (let i = 0; i < n - 1; i++) stf(ee, i, ldf(e, i));
  const st = qlCore(n, d, ee, zt, n);
  if (st != 0) return st;
  sortWithRows(n, d, zt, n, n);
  for (let i = 0; i < n; i++) {
    const qr = rowPtr(q, i, ldq);
    for (let j = 0; j < n; j++) stf(qr, j, ldf(zt, j * n + i));
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// divide and conquer workspace (module globals, set up by tridiagEig)

let wZ: usize = 0; // rank-one vector z (n)
let wPole: usize = 0; // non-deflated poles (n)
let wZeta: usize = 0; // their weights (n)
let wLam: usize = 0; // secular roots (n)
let wProd: usize = 0; // Löwner products / recomputed z (n)
let wDval: usize = 0; // deflated eigenvalues (n)
let wIdx: usize = 0; // i32 (n): merge order
let wNd: usize = 0; // i32 (n): non-deflated indices
let wDf: usize = 0; // i32 (n): deflated indices
let wTyp: usize = 0; // i32 (n): column pattern 1 top, 2 bottom, 3 both
let wSig: usize = 0; // i32 (n): grouping permutation
let wSrc: usize = 0; // i32 (n): source column of each output column
let wQ: usize = 0; // n*n: gathered columns
let wU: usize = 0; // n*n: differences / rank-one eigenvectors (rows), then merged vectors
let wV: usize = 0; // n*n: rank-one eigenvectors (columns, grouped)
let wLeaf: usize = 0; // (LEAF*LEAF + LEAF) f64 for QL leaves
let mergeCount: i32 = 0;
let secularFailed: bool = false;

/** Number of divide-and-conquer merges performed by the last tridiagEig/eighSym call. */
export function tridiagEigLastMerges(): i32 {
  return mergeCount;
}

// sums over j in [from, to): S0 = sum zeta_j^2 / (a_j - tau), S1 = sum (zeta_j / (a_j - tau))^2
let secS0: f64 = 0;
let secS1: f64 = 0;
function secSums(a: usize, zeta: usize, from: i32, to: i32, tau: f64): void {
  const tv = f64x2.splat(tau);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let j = from;
  for (; j + 2 <= to; j += 2) {
    const o = <usize>j << 3;
    const z = v128.load(zeta + o);
    const t = f64x2.div(z, f64x2.sub(v128.load(a + o), tv));
    s0 = f64x2.add(s0, f64x2.mul(z, t));
    s1 = f64x2.add(s1, f64x2.mul(t, t));
  }
  let r0 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  let r1 = f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
  for (; j < to; j++) {
    const z = ldf(zeta, j);
    const t = z / (ldf(a, j) - tau);
    r0 += z * t;
    r1 += t * t;
  }
  secS0 = r0;
  secS1 = r1;
}

/**
 * Solve the quadratic of the two-pole model c + s1/(da - x) + s2/(db - x) = 0 with
 * c = f - s1/da - s2/db, i.e. c x^2 - (c(da+db) + s1 + s2) x + da db f = 0, and return the root in
 * (lo, hi), or NaN when neither root lies there.
 */
function modelRoot(f: f64, da: f64, db: f64, s1: f64, s2: f64, lo: f64, hi: f64): f64 {
  const c = f - s1 / da - s2 / db;
  const qb = -(c * (da + db) + s1 + s2);
  const qc = da * db * f;
  let x1: f64, x2: f64;
  if (c == 0) {
    if (qb == 0) return NaN;
    x1 = -qc / qb;
    x2 = x1;
  } else {
    let disc = qb * qb - 4.0 * c * qc;
    if (disc < 0) disc = 0;
    const sq = Math.sqrt(disc);
    const qq = -0.5 * (qb + (qb >= 0 ? sq : -sq));
    x1 = qq / c;
    x2 = qq != 0 ? qc / qq : x1;
  }
  const in1 = x1 > lo && x1 < hi;
  const in2 = x2 > lo && x2 < hi;
  if (in1 && in2) return Math.abs(x1) <= Math.abs(x2) ? x1 : x2;
  if (in1) return x1;
  if (in2) return x2;
  return NaN;
}

/**
 * Root r of the secular equation f(x) = 1 + rho * sum_j zeta_j^2 / (delta_j - x), poles delta
 * ascending (k of them), rho > 0. The root lies in (delta_r, delta_{r+1}) (r < k-1) or
 * (delta_{k-1}, delta_{k-1} + rho |zeta|^2). It is found as an offset tau from the nearer pole, so
 * row[j] = delta_j - lambda_r comes out accurate even when lambda_r nearly equals a pole.
 */
function secularRoot(k: i32, r: i32, pole: usize, zeta: usize, rho: f64, row: usize): f64 {
  if (k == 1) {
    const z0 = ldf(zeta, 0);
    const t = rho * z0 * z0;
    stf(row, 0, -t);
    return ldf(pole, 0) + t;
  }
  const last = r == k - 1;
  let o: i32; // origin pole
  let ia: i32; // the model's left pole
  let ib: i32; // the model's right pole
  let lo: f64, hi: f64, xm: f64, fm: f64;
  if (!last) {
    ia = r;
    ib = r + 1;
    const dr = ldf(pole, r);
    const gap = ldf(pole, r + 1) - dr;
    const mid = 0.5 * gap;
    for (let j = 0; j < k; j++) stf(row, j, ldf(pole, j) - dr);
    secSums(row, zeta, 0, k, mid);
    fm = 1.0 + rho * secS0;
    if (fm >= 0) {
      o = r;
      lo = 0;
      hi = mid;
      xm = mid;
    } else {
      o = r + 1;
      lo = mid - gap;
      hi = 0;
      xm = mid - gap;
    }
  } else {
    ia = k - 2;
    ib = k - 1;
    o = k - 1;
    let zz: f64 = 0;
    for (let j = 0; j < k; j++) {
      const zj = ldf(zeta, j);
      zz += zj * zj;
    }
    lo = 0;
    hi = rho * zz;
    xm = 0.5 * hi;
    const dk = ldf(pole, k - 1);
    for (let j = 0; j < k; j++) stf(row, j, ldf(pole, j) - dk);
    secSums(row, zeta, 0, k, xm);
    fm = 1.0 + rho * secS0;
    if (fm >= 0) hi = xm;
    else lo = xm;
  }
  // shifted poles a_j = delta_j - delta_o
  const dorg = ldf(pole, o);
  for (let j = 0; j < k; j++) stf(row, j, ldf(pole, j) - dorg);
  const za = ldf(zeta, ia);
  const zb = ldf(zeta, ib);
  // first guess from the two-pole model at the bracket end xm
  let tau: f64 = NaN;
  if (fm != 0) {
    const eta = modelRoot(fm, ldf(row, ia) - xm, ldf(row, ib) - xm, rho * za * za, rho * zb * zb, lo - xm, hi - xm);
    tau = xm + eta;
  } else {
    tau = xm;
  }
  if (!(tau > lo && tau < hi)) tau = 0.5 * (lo + hi);
  let done = false;
  for (let it = 0; it < SEC_MAXIT; it++) {
    secSums(row, zeta, 0, ia + 1, tau);
    let psi = secS0;
    let dpsi = secS1;
    secSums(row, zeta, ib, k, tau);
    let phi = secS0;
    let dphi = secS1;
    psi *= rho;
    dpsi *= rho;
    phi *= rho;
    dphi *= rho;
    const f = 1.0 + psi + phi;
    const tolf = EPS * (8.0 + 8.0 * (Math.abs(psi) + Math.abs(phi)) + Math.abs(tau) * (dpsi + dphi));
    if (Math.abs(f) <= tolf) {
      done = true;
      break;
    }
    if (f < 0) lo = tau;
    else hi = tau;
    const da = ldf(row, ia) - tau;
    const db = ldf(row, ib) - tau;
    const eta = modelRoot(f, da, db, da * da * dpsi, db * db * dphi, lo - tau, hi - tau);
    let tn = tau + eta;
    if (!(tn > lo && tn < hi)) tn = 0.5 * (lo + hi);
    if (!(tn > lo && tn < hi) || tn == tau) {
      // the bracket is down to adjacent doubles: tau is as good as it gets
      done = true;
      break;
    }
    tau = tn;
  }
  if (!done) secularFailed = true;
  for (let j = 0; j < k; j++) stf(row, j, ldf(row, j) - tau);
  return dorg + tau;
}

/**
 * Merge step: q (n x n, stride ldq) holds the eigenvectors of the two halves (m and n-m, block
 * diagonal), d their eigenvalues (each half ascending); the coupling is beta (the off-diagonal
 * removed by the split). On return d, q hold the eigenpairs of the whole block, ascending.
 */
function dcMerge(n: i32, m: i32, d: usize, q: usize, ldq: i32, beta: f64): i32 {
  mergeCount++;
  const z = wZ;
  const inv: f64 = 0.7071067811865476; // 1/sqrt(2): |z| = 1 after scaling, rho doubles
  const sgn: f64 = beta < 0 ? -1.0 : 1.0;
  const rho = 2.0 * Math.abs(beta);
  const ra = rowPtr(q, m - 1, ldq);
  for (let j = 0; j < m; j++) stf(z, j, ldf(ra, j) * inv);
  const rb = rowPtr(q, m, ldq);
  for (let j = m; j < n; j++) stf(z, j, sgn * ldf(rb, j) * inv);

  // order of all poles (both halves are sorted)
  {
    let a = 0,
      b = m,
      t = 0;
    while (a < m && b < n) {
      if (ldf(d, a) <= ldf(d, b)) sti(wIdx, t++, a++);
      else sti(wIdx, t++, b++);
    }
    while (a < m) sti(wIdx, t++, a++);
    while (b < n) sti(wIdx, t++, b++);
  }
  let dmax: f64 = 0;
  for (let j = 0; j < n; j++) dmax = Math.max(dmax, Math.abs(ldf(d, j)));
  const tol = 8.0 * EPS * Math.max(dmax, rho);
  for (let j = 0; j < n; j++) sti(wTyp, j, j < m ? 1 : 2);

  // deflation: tiny z components, then close poles (a Givens rotation moves the weight of one
  // onto the other, which becomes an eigenvector with its pole as eigenvalue)
  let k = 0,
    nDef = 0,
    pj = -1;
  for (let t = 0; t < n; t++) {
    const j = ldi(wIdx, t);
    if (rho * Math.abs(ldf(z, j)) <= tol) {
      sti(wDf, nDef++, j);
      continue;
    }
    if (pj < 0) {
      pj = j;
      continue;
    }
    const zp = ldf(z, pj);
    const zj = ldf(z, j);
    const tau = Math.hypot(zp, zj);
    const c = zj / tau;
    const s = zp / tau;
    const dp = ldf(d, pj);
    const dj = ldf(d, j);
    if (Math.abs(c * s * (dj - dp)) <= tol) {
      stf(z, j, tau);
      stf(z, pj, 0);
      stf(d, pj, c * c * dp + s * s * dj);
      stf(d, j, s * s * dp + c * c * dj);
      for (let i = 0; i < n; i++) {
        const rp = rowPtr(q, i, ldq);
        const xp = ldf(rp, pj);
        const xj = ldf(rp, j);
        stf(rp, pj, c * xp - s * xj);
        stf(rp, j, s * xp + c * xj);
      }
      const tt = ldi(wTyp, pj) | ldi(wTyp, j);
      sti(wTyp, pj, tt);
      sti(wTyp, j, tt);
      sti(wDf, nDef++, pj);
      pj = j;
    } else {
      sti(wNd, k++, pj);
      pj = j;
    }
  }
  if (pj >= 0) sti(wNd, k++, pj);

  // deflated eigenvalues, sorted (they are nearly sorted already)
  for (let i = 1; i < nDef; i++) {
    const x = ldi(wDf, i);
    const v = ldf(d, x);
    let j = i - 1;
    while (j >= 0 && ldf(d, ldi(wDf, j)) > v) {
      sti(wDf, j + 1, ldi(wDf, j));
      j--;
    }
    sti(wDf, j + 1, x);
  }
  for (let i = 0; i < nDef; i++) stf(wDval, i, ldf(d, ldi(wDf, i)));

  // group the non-deflated columns: top-only, both, bottom-only
  let n1 = 0,
    n3 = 0;
  {
    let g = 0;
    for (let r = 0; r < k; r++) if (ldi(wTyp, ldi(wNd, r)) == 1) sti(wSig, g++, r);
    n1 = g;
    for (let r = 0; r < k; r++) if (ldi(wTyp, ldi(wNd, r)) == 3) sti(wSig, g++, r);
    n3 = g - n1;
    for (let r = 0; r < k; r++) if (ldi(wTyp, ldi(wNd, r)) == 2) sti(wSig, g++, r);
  }
  const n2 = k - n1 - n3;
  // gather columns: [grouped non-deflated | deflated] into wQ (n x n, stride n)
  for (let c = 0; c < k; c++) sti(wSrc, c, ldi(wNd, ldi(wSig, c)));
  for (let c = 0; c < nDef; c++) sti(wSrc, k + c, ldi(wDf, c));
  for (let i = 0; i < n; i++) {
    const src = rowPtr(q, i, ldq);
    const dst = rowPtr(wQ, i, n);
    for (let c = 0; c < n; c++) stf(dst, c, ldf(src, ldi(wSrc, c)));
  }

  if (k > 0) {
    for (let r = 0; r < k; r++) {
      const j = ldi(wNd, r);
      stf(wPole, r, ldf(d, j));
      stf(wZeta, r, ldf(z, j));
    }
    // roots and differences delta_j - lambda_r (row r of wU, stride k)
    for (let r = 0; r < k; r++) {
      stf(wLam, r, secularRoot(k, r, wPole, wZeta, rho, rowPtr(wU, r, k)));
    }
    if (secularFailed) return 2;
    // Löwner: zhat_j^2 = prod_r (lambda_r - delta_j) / (rho prod_{r != j} (delta_r - delta_j))
    for (let j = 0; j < k; j++) stf(wProd, j, 1.0);
    for (let r = 0; r < k; r++) {
      const row = rowPtr(wU, r, k);
      const pr = ldf(wPole, r);
      const keep = ldf(wProd, r) * -ldf(row, r);
      const prv = f64x2.splat(pr);
      let j = 0;
      for (; j + 2 <= k; j += 2) {
        const o = <usize>j << 3;
        const x = f64x2.div(v128.load(row + o), f64x2.sub(v128.load(wPole + o), prv)); // (l_r - d_j)/(d_r - d_j)
        v128.store(wProd + o, f64x2.mul(v128.load(wProd + o), x));
      }
      for (; j < k; j++) stf(wProd, j, ldf(wProd, j) * (ldf(row, j) / (ldf(wPole, j) - pr)));
      stf(wProd, r, keep); // the j == r term is (lambda_r - delta_r) itself
    }
    for (let j = 0; j < k; j++) {
      const mag = Math.sqrt(Math.abs(ldf(wProd, j)) / rho);
      stf(wProd, j, ldf(wZeta, j) < 0 ? -mag : mag);
    }
    // eigenvectors of the rank-one problem, as rows: u_r[j] = zhat_j / (delta_j - lambda_r)
    for (let r = 0; r < k; r++) {
      const row = rowPtr(wU, r, k);
      let sv = f64x2.splat(0);
      let j = 0;
      for (; j + 2 <= k; j += 2) {
        const o = <usize>j << 3;
        const u = f64x2.div(v128.load(wProd + o), v128.load(row + o));
        v128.store(row + o, u);
        sv = f64x2.add(sv, f64x2.mul(u, u));
      }
      let s = f64x2.extract_lane(sv, 0) + f64x2.extract_lane(sv, 1);
      for (; j < k; j++) {
        const u = ldf(wProd, j) / ldf(row, j);
        stf(row, j, u);
        s += u * u;
      }
      const sc = f64x2.splat(1.0 / Math.sqrt(s));
      j = 0;
      for (; j + 2 <= k; j += 2) {
        const o = <usize>j << 3;
        v128.store(row + o, f64x2.mul(v128.load(row + o), sc));
      }
      for (; j < k; j++) stf(row, j, ldf(row, j) * f64x2.extract_lane(sc, 0));
    }
    // as columns, rows in grouped order: wV[g*k + r] = u_r[sig_g]
    // (tiled, so that both the reads and the writes stay within a few cache lines)
    for (let g0 = 0; g0 < k; g0 += 16) {
      const g1 = min(k, g0 + 16);
      for (let r0 = 0; r0 < k; r0 += 16) {
        const r1 = min(k, r0 + 16);
        for (let g = g0; g < g1; g++) {
          const sg = <usize>ldi(wSig, g) << 3;
          const dst = rowPtr(wV, g, k);
          for (let r = r0; r < r1; r++) stf(dst, r, load<f64>(rowPtr(wU, r, k) + sg));
        }
      }
    }
    // merged vectors W (n x k, stride k, in wU): top rows use groups 1+3, bottom rows 3+2
    const W = wU;
    const ktop = n1 + n3;
    const kbot = n3 + n2;
    if (ktop > 0) dgemm(0, 0, m, k, ktop, 1.0, wQ, n, wV, k, 0.0, W, k);
    else memory.fill(W, 0, (<usize>m * <usize>k) << 3);
    if (kbot > 0)
      dgemm(0, 0, n - m, k, kbot, 1.0, rowPtr(wQ, m, n) + (<usize>n1 << 3), n, rowPtr(wV, n1, k), k, 0.0, rowPtr(W, m, k), k);
    else memory.fill(rowPtr(W, m, k), 0, (<usize>(n - m) * <usize>k) << 3);
  }

  // merge the sorted roots and the sorted deflated values; code >= 0: column of W, < 0: deflated
  {
    let r = 0,
      i = 0;
    for (let c = 0; c < n; c++) {
      if (i >= nDef || (r < k && ldf(wLam, r) <= ldf(wDval, i))) {
        stf(d, c, ldf(wLam, r));
        sti(wSrc, c, r++);
      } else {
        stf(d, c, ldf(wDval, i));
        sti(wSrc, c, -1 - i++);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const dst = rowPtr(q, i, ldq);
    const wr = rowPtr(wU, i, k);
    const qr = rowPtr(wQ, i, n) + (<usize>k << 3);
    for (let c = 0; c < n; c++) {
      const s = ldi(wSrc, c);
      stf(dst, c, s >= 0 ? ldf(wr, s) : ldf(qr, -1 - s));
    }
  }
  return 0;
}

/** Divide and conquer on one unreduced block (q must be zero outside its diagonal blocks). */
function dcSolve(n: i32, d: usize, e: usize, q: usize, ldq: i32): i32 {
  if (n <= LEAF) return qlBlock(n, d, e, q, ldq, wLeaf);
  const m = n >> 1;
  const beta = ldf(e, m - 1);
  const ab = Math.abs(beta);
  stf(d, m - 1, ldf(d, m - 1) - ab);
  stf(d, m, ldf(d, m) - ab);
  let st = dcSolve(m, d, e, q, ldq);
  if (st != 0) return st;
  st = dcSolve(n - m, d + (<usize>m << 3), e + (<usize>m << 3), rowPtr(q, m, ldq) + (<usize>m << 3), ldq);
  if (st != 0) return st;
  return dcMerge(n, m, d, q, ldq, beta);
}

function setIdentity(n: i32, z: usize, ldz: i32): void {
  for (let i = 0; i < n; i++) {
    const r = rowPtr(z, i, ldz);
    memory.fill(r, 0, <usize>n << 3);
    stf(r, i, 1.0);
  }
}

/** Sort d ascending and permute the columns of z (n x n) alike, through scratch (n*n + 2n). */
function sortColumns(n: i32, d: usize, z: usize, ldz: i32, ws: usize): void {
  let sorted = true;
  for (let i = 1; i < n; i++) if (ldf(d, i) < ldf(d, i - 1)) sorted = false;
  if (sorted) return;
  const perm = ws; // i32 n (uses 8n bytes)
  const vals = ws + (<usize>n << 3);
  const tmp = vals + (<usize>n << 3);
  for (let i = 0; i < n; i++) sti(perm, i, i);
  // insertion sort of the permutation (stable)
  for (let i = 1; i < n; i++) {
    const x = ldi(perm, i);
    const v = ldf(d, x);
    let j = i - 1;
    while (j >= 0 && ldf(d, ldi(perm, j)) > v) {
      sti(perm, j + 1, ldi(perm, j));
      j--;
    }
    sti(perm, j + 1, x);
  }
  for (let i = 0; i < n; i++) stf(vals, i, ldf(d, ldi(perm, i)));
  for (let i = 0; i < n; i++) stf(d, i, ldf(vals, i));
  for (let i = 0; i < n; i++) {
    const r = rowPtr(z, i, ldz);
    for (let j = 0; j < n; j++) stf(tmp, j, ldf(r, ldi(perm, j)));
    memory.copy(r, tmp, <usize>n << 3);
  }
}

function allocDC(nmax: i32): usize {
  const n = <usize>nmax;
  const nn = n * n;
  const vecBytes = n << 3;
  // 6 f64 vectors, 6 i32 vectors (8 bytes a slot, keeps alignment), 3 n x n blocks, the leaf scratch
  const total: usize = vecBytes * 12 + (nn << 3) * 3 + ((<usize>(LEAF * LEAF + LEAF + 2)) << 3);
  const base = heap.alloc(total);
  let p = base;
  wZ = p; p += vecBytes;
  wPole = p; p += vecBytes;
  wZeta = p; p += vecBytes;
  wLam = p; p += vecBytes;
  wProd = p; p += vecBytes;
  wDval = p; p += vecBytes;
  wIdx = p; p += vecBytes;
  wNd = p; p += vecBytes;
  wDf = p; p += vecBytes;
  wTyp = p; p += vecBytes;
  wSig = p; p += vecBytes;
  wSrc = p; p += vecBytes;
  wQ = p; p += nn << 3;
  wU = p; p += nn << 3;
  wV = p; p += nn << 3;
  wLeaf = p;
  return base;
}

/**
 * All eigenpairs of the symmetric tridiagonal matrix (d, e): divide and conquer with QL leaves,
 * QL as fallback if a secular equation fails to converge. See the file header for the layout.
 */
export function tridiagEig(n: i32, d: usize, e: usize, z: usize, ldz: i32): i32 {
  mergeCount = 0;
  if (n < 0 || ldz < n) return 4;
  if (n == 0) return 0;
  if (!finiteVec(d, n) || !finiteVec(e, n - 1)) return 1;
  if (n == 1) {
    store<f64>(z, 1.0);
    return 0;
  }
  let amax: f64 = 0;
  for (let i = 0; i < n; i++) amax = Math.max(amax, Math.abs(ldf(d, i)));
  for (let i = 0; i < n - 1; i++) amax = Math.max(amax, Math.abs(ldf(e, i)));
  if (amax == 0) {
    setIdentity(n, z, ldz);
    return 0;
  }
  const sc = pow2Scale(amax);
  for (let i = 0; i < n; i++) stf(d, i, ldf(d, i) * sc);
  for (let i = 0; i < n - 1; i++) stf(e, i, ldf(e, i) * sc);
  // keep a copy for the fallback
  const save = heap.alloc(<usize>(2 * n) << 3);
  memory.copy(save, d, <usize>n << 3);
  memory.copy(save + (<usize>n << 3), e, <usize>(n - 1) << 3);

  // split into unreduced blocks where an off-diagonal is negligible
  let nmax = 0;
  {
    let s = 0;
    for (let i = 0; i < n; i++) {
      let split = i == n - 1;
      if (!split) {
        const ei = Math.abs(ldf(e, i));
        if (ei <= EPS * Math.sqrt(Math.abs(ldf(d, i))) * Math.sqrt(Math.abs(ldf(d, i + 1))) || ei < TINY) {
          stf(e, i, 0);
          split = true;
        }
      }
      if (split) {
        nmax = max(nmax, i + 1 - s);
        s = i + 1;
      }
    }
  }
  for (let i = 0; i < n; i++) memory.fill(rowPtr(z, i, ldz), 0, <usize>n << 3);
  const base = allocDC(max(nmax, n));
  secularFailed = false;
  let st = 0;
  {
    let s = 0;
    for (let i = 0; i < n && st == 0; i++) {
      if (i < n - 1 && ldf(e, i) != 0) continue;
      const bs = i + 1 - s;
      const dp = d + (<usize>s << 3);
      const ep = e + (<usize>s << 3);
      const qp = rowPtr(z, s, ldz) + (<usize>s << 3);
      if (bs == 1) store<f64>(qp, 1.0);
      else if (bs <= LEAF) st = qlBlock(bs, dp, ep, qp, ldz, wLeaf);
      else st = dcSolve(bs, dp, ep, qp, ldz);
      s = i + 1;
    }
  }
  if (st == 2) {
    // fallback: implicit QL on the whole matrix
    memory.copy(d, save, <usize>n << 3);
    memory.copy(e, save + (<usize>n << 3), <usize>(n - 1) << 3);
    st = qlFull(n, d, e, z, ldz, wQ);
  } else if (st == 0) {
    sortColumns(n, d, z, ldz, wQ);
  }
  heap.free(base);
  heap.free(save);
  if (st == 0) {
    const inv = 1.0 / sc;
    for (let i = 0; i < n; i++) stf(d, i, ldf(d, i) * inv);
  }
  return st;
}

/** QL with vectors on the whole (already scaled) matrix; ws holds n*n + n f64. */
function qlFull(n: i32, d: usize, e: usize, z: usize, ldz: i32, ws: usize): i32 {
  const zt = ws;
  const ee = ws + ((<usize>n * <usize>n) << 3);
  setIdentity(n, zt, n);
  for (let i = 0; i < n - 1; i++) stf(ee, i, ldf(e, i));
  const st = qlCore(n, d, ee, zt, n);
  if (st != 0) return st;
  sortWithRows(n, d, zt, n, n);
  for (let i = 0; i < n; i++) {
    const r = rowPtr(z, i, ldz);
    for (let j = 0; j < n; j++) stf(r, j, ldf(zt, j * n + i));
  }
  return 0;
}

/** All eigenpairs by implicit QL only (same contract as tridiagEig). */
export function tridiagEigQL(n: i32, d: usize, e: usize, z: usize, ldz: i32): i32 {
  mergeCount = 0;
  if (n < 0 || ldz < n) return 4;
  if (n == 0) return 0;
  if (!finiteVec(d, n) || !finiteVec(e, n - 1)) return 1;
  let amax: f64 = 0;
  for (let i = 0; i < n; i++) amax = Math.max(amax, Math.abs(ldf(d, i)));
  for (let i = 0; i < n - 1; i++) amax = Math.max(amax, Math.abs(ldf(e, i)));
  const sc = pow2Scale(amax);
  for (let i = 0; i < n; i++) stf(d, i, ldf(d, i) * sc);
  for (let i = 0; i < n - 1; i++) stf(e, i, ldf(e, i) * sc);
  const ws = heap.alloc(<usize>(n * n + n) << 3);
  const st = qlFull(n, d, e, z, ldz, ws);
  heap.free(ws);
  if (st == 0) {
    const inv = 1.0 / sc;
    for (let i = 0; i < n; i++) stf(d, i, ldf(d, i) * inv);
  }
  return st;
}

/** Eigenvalues only (ascending, into d) by implicit QL without vectors; e is destroyed. */
export function tridiagEigValues(n: i32, d: usize, e: usize): i32 {
  if (n < 0) return 4;
  if (n == 0) return 0;
  if (!finiteVec(d, n) || !finiteVec(e, n - 1)) return 1;
  let amax: f64 = 0;
  for (let i = 0; i < n; i++) amax = Math.max(amax, Math.abs(ldf(d, i)));
  for (let i = 0; i < n - 1; i++) amax = Math.max(amax, Math.abs(ldf(e, i)));
  const sc = pow2Scale(amax);
  for (let i = 0; i < n; i++) stf(d, i, ldf(d, i) * sc);
  const ee = heap.alloc(<usize>n << 3);
  for (let i = 0; i < n - 1; i++) stf(ee, i, ldf(e, i) * sc);
  const st = qlCore(n, d, ee, 0, 0);
  heap.free(ee);
  if (st != 0) return st;
  sortWithRows(n, d, 0, 0, 0);
  const inv = 1.0 / sc;
  for (let i = 0; i < n; i++) stf(d, i, ldf(d, i) * inv);
  return 0;
}
