// Cholesky factorisation and triangular solves, real f64, row-major.
//
//   cholesky(n, a, lda): i32
//       A = L L^T for a symmetric positive definite A. Reads the lower triangle of a (j <= i) and
//       overwrites it with L; the strict upper triangle is neither read nor written.
//       Status 0 ok, 1 NaN/Inf in the lower triangle, 3 not positive definite (a pivot <= 0 or
//       not a number: some leading minor is not positive), 4 bad argument.
//   trsmLower(trans, n, nrhs, l, ldl, b, ldb): i32
//       Solves L X = B (trans = 0) or L^T X = B (trans = 1) in place of B (n x nrhs, row stride ldb)
//       with L the lower triangle of l (diagonal included; the strict upper part is not read).
//       Status 0 ok, 1 NaN/Inf in L or B, 4 bad argument or a zero on the diagonal of L.
//   choleskySolve(n, nrhs, l, ldl, b, ldb): i32
//       Solves A X = B given the factor from cholesky (L L^T X = B), in place of B.
//
// Method (blocked, right-looking, block NB): for each diagonal block of NB columns
//   1. factor the NB x NB diagonal block with the unblocked row-oriented (dot-product) Cholesky;
//   2. the panel below it: L21 = A21 L11^-T, solved on a transposed copy of PW rows at a time
//      (forward substitution along contiguous rows, f64x2 over four panel rows at once);
//   3. the trailing update A22 -= L21 L21^T on the lower triangle only, one dgemm per row block
//      for the part left of the diagonal block and a small dgemm into scratch for the diagonal
//      block (only its lower half is subtracted, so the upper triangle of a is never touched).
// The triangular solves are blocked the same way: dgemm for the off-diagonal blocks, row axpys
// (f64x2) inside the diagonal blocks.

import { dgemm } from "./gemm";
import { at, dot, lowerFinite, fullFinite } from "./common";

const NB: i32 = 64;
const PW: i32 = 128; // panel rows solved per chunk (Pt is NB x PW)



// y[0:len] -= c * x[0:len]
function axpyMinus(c: f64, x: usize, y: usize, len: i32): void {
  const cv = f64x2.splat(c);
  let t = 0;
  for (; t + 3 < len; t += 4) {
    const o = <usize>t << 3;
    v128.store(y + o, f64x2.sub(v128.load(y + o), f64x2.mul(cv, v128.load(x + o))));
    v128.store(y + o, f64x2.sub(v128.load(y + o, 16), f64x2.mul(cv, v128.load(x + o, 16))), 16);
  }
  for (; t < len; t++) {
    const o = <usize>t << 3;
    store<f64>(y + o, load<f64>(y + o) - c * load<f64>(x + o));
  }
}

// y[0:len] /= c
function scaleDiv(c: f64, y: usize, len: i32): void {
  const cv = f64x2.splat(c);
  let t = 0;
  for (; t + 1 < len; t += 2) {
    const o = <usize>t << 3;
    v128.store(y + o, f64x2.div(v128.load(y + o), cv));
  }
  if (t < len) store<f64>(y + (<usize>t << 3), load<f64>(y + (<usize>t << 3)) / c);
}



// Unblocked Cholesky of the jb x jb block at p (row stride ld). Returns 0 or 3.
function factorDiagonalBlock(jb: i32, p: usize, ld: i32): i32 {
  for (let i = 0; i < jb; i++) {
    const ri = at(p, ld, i, 0);
    for (let j = 0; j < i; j++) {
      const rj = at(p, ld, j, 0);
      const s = load<f64>(ri + (<usize>j << 3)) - dot(ri, rj, j);
      store<f64>(ri + (<usize>j << 3), s / load<f64>(rj + (<usize>j << 3)));
    }
    const s = load<f64>(ri + (<usize>i << 3)) - dot(ri, ri, i);
    if (!(s > 0)) return 3; // also catches NaN
    store<f64>(ri + (<usize>i << 3), Math.sqrt(s));
  }
  return 0;
}

// X L^T = B for the rows x jb block B at p (row stride ld, overwritten by X), with L the jb x jb
// lower triangle at l (stride ld). Chunks of PW rows are transposed into Pt (jb x PW), where the
// substitution L Xt = Bt runs over contiguous rows, four columns (panel rows) per pass.
function panelSolve(rows: i32, jb: i32, l: usize, p: usize, ld: i32, Pt: usize): void {
  for (let r0 = 0; r0 < rows; r0 += PW) {
    const w = min(PW, rows - r0);
    const wp = (w + 3) & ~3; // padded row length of Pt
    // transpose in (pad columns with zeros)
    for (let j = 0; j < jb; j++) {
      const dst = Pt + ((<usize>j * <usize>wp) << 3);
      for (let r = 0; r < w; r++) store<f64>(dst + (<usize>r << 3), load<f64>(at(p, ld, r0 + r, j)));
      for (let r = w; r < wp; r++) store<f64>(dst + (<usize>r << 3), 0);
    }
    // forward substitution, row i of Pt: Pt[i] = (Pt[i] - sum_{q<i} L[i][q] Pt[q]) / L[i][i]
    for (let i = 0; i < jb; i++) {
      const li = at(l, ld, i, 0);
      const inv = f64x2.splat(load<f64>(li + (<usize>i << 3)));
      const ri = Pt + ((<usize>i * <usize>wp) << 3);
      for (let c = 0; c < wp; c += 4) {
        let a0 = v128.load(ri + (<usize>c << 3));
        let a1 = v128.load(ri + (<usize>c << 3), 16);
        let q = Pt + (<usize>c << 3);
        const stride = <usize>wp << 3;
        for (let k = 0; k < i; k++) {
          const lv = f64x2.splat(load<f64>(li + (<usize>k << 3)));
          a0 = f64x2.sub(a0, f64x2.mul(lv, v128.load(q)));
          a1 = f64x2.sub(a1, f64x2.mul(lv, v128.load(q, 16)));
          q += stride;
        }
        v128.store(ri + (<usize>c << 3), f64x2.div(a0, inv));
        v128.store(ri + (<usize>c << 3), f64x2.div(a1, inv), 16);
      }
    }
    // transpose back
    for (let j = 0; j < jb; j++) {
      const src = Pt + ((<usize>j * <usize>wp) << 3);
      for (let r = 0; r < w; r++) store<f64>(at(p, ld, r0 + r, j), load<f64>(src + (<usize>r << 3)));
    }
  }
}

export function cholesky(n: i32, a: usize, lda: i32): i32 {
  if (n < 0 || lda < n) return 4;
  if (n == 0) return 0;
  if (!lowerFinite(n, a, lda)) return 1;
  const T = heap.alloc(<usize>(NB * NB) << 3);
  const Pt = heap.alloc(<usize>(NB * PW) << 3);
  let status = 0;
  for (let j0 = 0; j0 < n; j0 += NB) {
    const j1 = min(j0 + NB, n);
    const jb = j1 - j0;
    // 1. diagonal block (already updated by all previous panels)
    status = factorDiagonalBlock(jb, at(a, lda, j0, j0), lda);
    if (status != 0) break;
    if (j1 == n) break;
    // 2. panel rows j1..n-1: A21 <- A21 L11^-T. The panel is transposed into Pt (jb x rows, rows
    //    contiguous) in column chunks of PW, solved as L11 Pt = Pt by forward substitution with
    //    f64x2 across four panel rows at a time, and transposed back.
    panelSolve(n - j1, jb, at(a, lda, j0, j0), at(a, lda, j1, j0), lda, Pt);
    // 3. trailing update, lower triangle only, row blocks of NB
    for (let i0 = j1; i0 < n; i0 += NB) {
      const i1 = min(i0 + NB, n);
      const ib = i1 - i0;
      if (i0 > j1) {
        dgemm(0, 1, ib, i0 - j1, jb, -1.0, at(a, lda, i0, j0), lda, at(a, lda, j1, j0), lda, 1.0, at(a, lda, i0, j1), lda);
      }
      dgemm(0, 1, ib, ib, jb, 1.0, at(a, lda, i0, j0), lda, at(a, lda, i0, j0), lda, 0.0, T, ib);
      for (let i = 0; i < ib; i++) {
        const dst = at(a, lda, i0 + i, i0);
        const src = at(T, ib, i, 0);
        for (let j = 0; j <= i; j++) store<f64>(dst + (<usize>j << 3), load<f64>(dst + (<usize>j << 3)) - load<f64>(src + (<usize>j << 3)));
      }
    }
  }
  heap.free(Pt);
  heap.free(T);
  return status;
}

export function trsmLower(trans: i32, n: i32, nrhs: i32, l: usize, ldl: i32, b: usize, ldb: i32): i32 {
  if (n < 0 || nrhs < 0 || ldl < n || ldb < nrhs || (trans != 0 && trans != 1)) return 4;
  if (n == 0 || nrhs == 0) return 0;
  if (!lowerFinite(n, l, ldl) || !fullFinite(n, nrhs, b, ldb)) return 1;
  for (let i = 0; i < n; i++) if (load<f64>(at(l, ldl, i, i)) == 0) return 4;
  if (trans == 0) {
    for (let i0 = 0; i0 < n; i0 += NB) {
      const i1 = min(i0 + NB, n);
      if (i0 > 0) dgemm(0, 0, i1 - i0, nrhs, i0, -1.0, at(l, ldl, i0, 0), ldl, b, ldb, 1.0, at(b, ldb, i0, 0), ldb);
      for (let i = i0; i < i1; i++) {
        const bi = at(b, ldb, i, 0);
        const li = at(l, ldl, i, 0);
        for (let p = i0; p < i; p++) axpyMinus(load<f64>(li + (<usize>p << 3)), at(b, ldb, p, 0), bi, nrhs);
        scaleDiv(load<f64>(li + (<usize>i << 3)), bi, nrhs);
      }
    }
  } else {
    // blocks from the bottom up
    let i1 = n;
    while (i1 > 0) {
      const i0 = i1 > NB ? i1 - NB : 0;
      if (i1 < n) dgemm(1, 0, i1 - i0, nrhs, n - i1, -1.0, at(l, ldl, i1, i0), ldl, at(b, ldb, i1, 0), ldb, 1.0, at(b, ldb, i0, 0), ldb);
      for (let i = i1 - 1; i >= i0; i--) {
        const bi = at(b, ldb, i, 0);
        const li = at(l, ldl, i, 0);
        scaleDiv(load<f64>(li + (<usize>i << 3)), bi, nrhs);
        for (let p = i0; p < i; p++) axpyMinus(load<f64>(li + (<usize>p << 3)), bi, at(b, ldb, p, 0), nrhs);
      }
      i1 = i0;
    }
  }
  return 0;
}

export function choleskySolve(n: i32, nrhs: i32, l: usize, ldl: i32, b: usize, ldb: i32): i32 {
  const s = trsmLower(0, n, nrhs, l, ldl, b, ldb);
  if (s != 0) return s;
  return trsmLower(1, n, nrhs, l, ldl, b, ldb);
}
