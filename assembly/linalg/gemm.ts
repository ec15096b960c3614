// Dense matrix multiply, row-major, f64.
// C (m x n) = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T (trans = 0 or 1).
// A is m x k (or k x m when transposed) with row stride lda; likewise B and C.
//
// Structure (the classic Goto/van de Geijn layering, written from the published description):
//   for jc in steps of NC over the columns of C
//     for pc in steps of KC over the inner dimension
//       pack op(B)[pc:pc+kc, jc:jc+nc] into NR-wide column slivers   (L3/L2 resident)
//       for ic in steps of MC over the rows of C
//         pack op(A)[ic:ic+mc, pc:pc+kc] into MR-tall row slivers    (L2 resident)
//         for every NR sliver of B (kept in L1) and every MR sliver of A:
//           MR x NR register-blocked f64x2 micro-kernel over kc
// Transposition is absorbed by the packing routines, so one micro-kernel serves all four cases.
// Edges are handled by zero-padding the packed slivers and writing partial tiles through a small
// scratch tile.
//
// Determinism: element C(i,j) is always sum_{p in chunk} a(i,p) b(p,j), accumulated in increasing p
// inside each KC-chunk starting from 0, and the chunks are added to C in increasing order:
//   chunk 0:  C = alpha*s0 + beta*C   (C = alpha*s0 when beta == 0: old C, even NaN, is ignored)
//   chunk q:  C = alpha*sq + C
// The order depends only on k (through KC), never on m, n, strides or memory alignment; tiny
// products take a direct loop with the same order, so they give the same bits.
// alpha == 0 or k == 0: C = beta*C (zeros when beta == 0) and A, B are not read (BLAS convention).
//
// Tuning (measured on the 2-core Xeon of the dev machines, V8 in Node 20): the 4x4 tile (8 v128
// accumulators) ran at ~19-20 GFLOP/s, about 90 % of the measured f64x2 mul+add peak (~22); 6x4,
// 5x4 and a k-unrolled 4x4 were slower (~14-15 GFLOP/s; likely register spills in V8).
// KC/MC/NC in 128..384 / 64..256 / 256..2048 changed little; these values also suit a Zen 3 core
// (32 KiB L1d, 512 KiB L2).

// Micro-tile: MR rows x NR columns of C held in (MR*NR/2) v128 accumulators.
const MR: i32 = 4;
const NR: i32 = 4;
// Cache blocking. KC*NR*8 = 8 KiB B-sliver in L1; MC*KC*8 = 256 KiB A-block in L2;
// KC*NC*8 = 2 MiB B-panel in L2/L3.
const KC: i32 = 256;
const MC: i32 = 128; // multiple of MR
const NC: i32 = 1024; // multiple of NR

// ---------------------------------------------------------------------------------------------
// Packing

/** Pack op(A)[i0:i0+mc, p0:p0+kc] into MR-row slivers: sliver s holds, for p = 0..kc-1, the MR
 *  values op(A)(i0+s*MR+r, p0+p), r = 0..MR-1, contiguously; rows beyond mc are zero. */
function packA(transA: i32, a: usize, lda: i32, i0: i32, p0: i32, mc: i32, kc: i32, dst: usize): void {
  const ldaB = <usize>lda << 3;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    if (!transA) {
      // op(A)(i, p) = A[i*lda + p]: MR rows read side by side.
      if (mr == MR) {
        const r0 = a + <usize>(i0 + ir) * ldaB + (<usize>p0 << 3);
        const r1 = r0 + ldaB;
        const r2 = r1 + ldaB;
        const r3 = r2 + ldaB;
        let d = dst;
        for (let p = 0; p < kc; p++) {
          const o = <usize>p << 3;
          store<f64>(d, load<f64>(r0 + o));
          store<f64>(d, load<f64>(r1 + o), 8);
          store<f64>(d, load<f64>(r2 + o), 16);
          store<f64>(d, load<f64>(r3 + o), 24);
          d += <usize>MR << 3;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + (<usize>(p * MR) << 3);
          for (let r = 0; r < MR; r++) {
            let v: f64 = 0;
            if (r < mr) v = load<f64>(a + <usize>(i0 + ir + r) * ldaB + (<usize>(p0 + p) << 3));
            store<f64>(d + (<usize>r << 3), v);
          }
        }
      }
    } else {
      // op(A)(i, p) = A[p*lda + i]: the MR values of one p are contiguous in memory.
      let s = a + <usize>p0 * ldaB + (<usize>(i0 + ir) << 3);
      if (mr == MR) {
        let d = dst;
        for (let p = 0; p < kc; p++) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          s += ldaB;
          d += <usize>MR << 3;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + (<usize>(p * MR) << 3);
          for (let r = 0; r < MR; r++) {
            store<f64>(d + (<usize>r << 3), r < mr ? load<f64>(s + (<usize>r << 3)) : 0.0);
          }
          s += ldaB;
        }
      }
    }
    dst += <usize>(MR * kc) << 3;
  }
}

/** Pack op(B)[p0:p0+kc, j0:j0+nc] into NR-column slivers: sliver s holds, for p = 0..kc-1, the NR
 *  values op(B)(p0+p, j0+s*NR+c), c = 0..NR-1, contiguously; columns beyond nc are zero. */
function packB(transB: i32, b: usize, ldb: i32, p0: i32, j0: i32, kc: i32, nc: i32, dst: usize): void {
  const ldbB = <usize>ldb << 3;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    if (!transB) {
      // op(B)(p, j) = B[p*ldb + j]: the NR values of one p are contiguous.
      let s = b + <usize>p0 * ldbB + (<usize>(j0 + jr) << 3);
      if (nr == NR) {
        let d = dst;
        for (let p = 0; p < kc; p++) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          s += ldbB;
          d += <usize>NR << 3;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + (<usize>(p * NR) << 3);
          for (let c = 0; c < NR; c++) {
            store<f64>(d + (<usize>c << 3), c < nr ? load<f64>(s + (<usize>c << 3)) : 0.0);
          }
          s += ldbB;
        }
      }
    } else {
      // op(B)(p, j) = B[j*ldb + p]: NR rows of B read side by side.
      if (nr == NR) {
        const c0 = b + <usize>(j0 + jr) * ldbB + (<usize>p0 << 3);
        const c1 = c0 + ldbB;
        const c2 = c1 + ldbB;
        const c3 = c2 + ldbB;
        let d = dst;
        for (let p = 0; p < kc; p++) {
          const o = <usize>p << 3;
          store<f64>(d, load<f64>(c0 + o));
          store<f64>(d, load<f64>(c1 + o), 8);
          store<f64>(d, load<f64>(c2 + o), 16);
          store<f64>(d, load<f64>(c3 + o), 24);
          d += <usize>NR << 3;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + (<usize>(p * NR) << 3);
          for (let c = 0; c < NR; c++) {
            let v: f64 = 0;
            if (c < nr) v = load<f64>(b + <usize>(j0 + jr + c) * ldbB + (<usize>(p0 + p) << 3));
            store<f64>(d + (<usize>c << 3), v);
          }
        }
      }
    }
    dst += <usize>(NR * kc) << 3;
  }
}

// ---------------------------------------------------------------------------------------------
// Micro-kernel

/** C[0:MR, 0:NR] (row stride ldcB bytes) = alpha * Ap * Bp + beta * C, or alpha * Ap * Bp when
 *  beta0 (C not read). Ap, Bp: packed slivers of length kc. */
function kernel(kc: i32, ap: usize, bp: usize, c: usize, ldcB: usize, alpha: f64, beta: f64, beta0: bool): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let av = v128.load64_splat(ap);
    c00 = f64x2.add(c00, f64x2.mul(av, b0));
    c01 = f64x2.add(c01, f64x2.mul(av, b1));
    av = v128.load64_splat(ap, 8);
    c10 = f64x2.add(c10, f64x2.mul(av, b0));
    c11 = f64x2.add(c11, f64x2.mul(av, b1));
    av = v128.load64_splat(ap, 16);
    c20 = f64x2.add(c20, f64x2.mul(av, b0));
    c21 = f64x2.add(c21, f64x2.mul(av, b1));
    av = v128.load64_splat(ap, 24);
    c30 = f64x2.add(c30, f64x2.mul(av, b0));
    c31 = f64x2.add(c31, f64x2.mul(av, b1));
    ap += 32;
    bp += 32;
  }
  const va = f64x2.splat(alpha);
  if (beta0) {
    let r = c;
    v128.store(r, f64x2.mul(va, c00)); v128.store(r, f64x2.mul(va, c01), 16); r += ldcB;
    v128.store(r, f64x2.mul(va, c10)); v128.store(r, f64x2.mul(va, c11), 16); r += ldcB;
    v128.store(r, f64x2.mul(va, c20)); v128.store(r, f64x2.mul(va, c21), 16); r += ldcB;
    v128.store(r, f64x2.mul(va, c30)); v128.store(r, f64x2.mul(va, c31), 16);
  } else {
    const vb = f64x2.splat(beta);
    let r = c;
    v128.store(r, f64x2.add(f64x2.mul(va, c00), f64x2.mul(vb, v128.load(r))));
    v128.store(r, f64x2.add(f64x2.mul(va, c01), f64x2.mul(vb, v128.load(r, 16))), 16);
    r += ldcB;
    v128.store(r, f64x2.add(f64x2.mul(va, c10), f64x2.mul(vb, v128.load(r))));
    v128.store(r, f64x2.add(f64x2.mul(va, c11), f64x2.mul(vb, v128.load(r, 16))), 16);
    r += ldcB;
    v128.store(r, f64x2.add(f64x2.mul(va, c20), f64x2.mul(vb, v128.load(r))));
    v128.store(r, f64x2.add(f64x2.mul(va, c21), f64x2.mul(vb, v128.load(r, 16))), 16);
    r += ldcB;
    v128.store(r, f64x2.add(f64x2.mul(va, c30), f64x2.mul(vb, v128.load(r))));
    v128.store(r, f64x2.add(f64x2.mul(va, c31), f64x2.mul(vb, v128.load(r, 16))), 16);
  }
}

// ---------------------------------------------------------------------------------------------
// Driver

/** C = beta * C on an m x n block (beta == 0 writes exact zeros, ignoring old contents). */
function scaleC(m: i32, n: i32, beta: f64, c: usize, ldc: i32): void {
  if (beta == 1) return;
  for (let i = 0; i < m; i++) {
    const row = c + (<usize>i * <usize>ldc << 3);
    for (let j = 0; j < n; j++) {
      const q = row + (<usize>j << 3);
      store<f64>(q, beta == 0 ? 0.0 : beta * load<f64>(q));
    }
  }
}

/** Direct triple loop for tiny products (packing would cost more than the arithmetic). Same
 *  summation order as the blocked path, so results do not depend on which path ran. */
function gemmSmall(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f64, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f64, c: usize, ldc: i32,
): void {
  // op(A)(i,p) at a + i*sai + p*sap, op(B)(p,j) at b + p*sbp + j*sbj (byte strides).
  const sai: usize = transA ? 8 : <usize>lda << 3;
  const sap: usize = transA ? <usize>lda << 3 : 8;
  const sbp: usize = transB ? 8 : <usize>ldb << 3;
  const sbj: usize = transB ? <usize>ldb << 3 : 8;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const dst = c + ((<usize>i * <usize>ldc + <usize>j) << 3);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = min(KC, k - pc);
        let pa = a + <usize>i * sai + <usize>pc * sap;
        let pb = b + <usize>pc * sbp + <usize>j * sbj;
        let s: f64 = 0;
        for (let p = 0; p < kc; p++) {
          s += load<f64>(pa) * load<f64>(pb);
          pa += sap;
          pb += sbp;
        }
        if (pc == 0) store<f64>(dst, beta == 0 ? alpha * s : alpha * s + beta * load<f64>(dst));
        else store<f64>(dst, alpha * s + load<f64>(dst));
      }
    }
  }
}

export function dgemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f64, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f64, c: usize, ldc: i32,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) {
    scaleC(m, n, beta, c, ldc);
    return;
  }
  if (<i64>m * <i64>n * <i64>k < 64) {
    gemmSmall(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  const kcMax = min(KC, k);
  const mcMax = (min(MC, m) + MR - 1) / MR * MR; // MC and NC are multiples of MR and NR
  const ncMax = (min(NC, n) + NR - 1) / NR * NR;
  const bytesA = <usize>(mcMax * kcMax) << 3;
  const bytesB = <usize>(kcMax * ncMax) << 3;
  const bytesT = <usize>(MR * NR) << 3;
  const raw = heap.alloc(bytesA + bytesB + bytesT + 64);
  const packedA = (raw + 63) & ~(<usize>63);
  const packedB = packedA + bytesA;
  const tile = packedB + bytesB;
  const ldcB = <usize>ldc << 3;

  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(transB, b, ldb, pc, jc, kc, nc, packedB);
      // First chunk applies the caller's beta; later chunks add to what is already there.
      const bet: f64 = pc == 0 ? beta : 1.0;
      const bet0 = pc == 0 && beta == 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(transA, a, lda, ic, pc, mc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = packedB + (<usize>(jr * kc) << 3);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const ap = packedA + (<usize>(ir * kc) << 3);
            const cp = c + <usize>(ic + ir) * ldcB + (<usize>(jc + jr) << 3);
            if (mr == MR && nr == NR) {
              kernel(kc, ap, bp, cp, ldcB, alpha, bet, bet0);
            } else {
              // Partial tile: alpha * A*B into the scratch tile, then merge the valid part.
              kernel(kc, ap, bp, tile, <usize>NR << 3, alpha, 0, true);
              for (let r = 0; r < mr; r++) {
                const crow = cp + <usize>r * ldcB;
                const trow = tile + (<usize>(r * NR) << 3);
                for (let q = 0; q < nr; q++) {
                  const t = load<f64>(trow + (<usize>q << 3));
                  const dst = crow + (<usize>q << 3);
                  store<f64>(dst, bet0 ? t : t + bet * load<f64>(dst));
                }
              }
            }
          }
        }
      }
    }
  }
  heap.free(raw);
}
