// Complex Hermitian eigensolver (dynamical matrices at a q-point).
//
//   eighHerm(n, a, lda, w, v, ldv): i32
//
// Storage: complex numbers interleaved (re, im), row-major, strides in complex elements, so
// element (i, j) lives at a + 16 * (i * lda + j). Only the lower triangle (j <= i) of `a` is read,
// and the imaginary parts of the diagonal are ignored (a Hermitian matrix has a real diagonal).
// `a` is not modified. On success w[0..n) holds the eigenvalues in ascending order and column j of
// v (v[i * ldv + j], complex) is a unit eigenvector for w[j].
// Status: 0 ok, 1 NaN/Inf in the lower triangle, 2 the tridiagonal iteration did not converge,
// 4 bad argument (n < 0, lda < n or ldv < n).
//
// Method.
//  1. The matrix is multiplied by a power of two so that its largest component lies in [1, 2)
//     (exact, undone on the eigenvalues at the end).
//  2. Householder reduction to Hermitian tridiagonal form with Hermitian reflectors
//     H_k = I - tau_k u_k u_k^H (tau_k real, u_k(0) = 1), acting on rows/columns k+1..n-1:
//     H_{n-3}...H_0 A H_0...H_{n-3} = T, whose sub-diagonal entries e_k are complex. Each step needs
//     the Hermitian matrix-vector product p = tau A u on the lower triangle and the rank-2 update
//     A -= u q^H + q u^H with q = p - (tau/2)(u^H p) u. The update of step k and the product of
//     step k+1 are fused into one sweep (one read and write of the block per step). The loops run
//     on f64x2 vectors, one complex number per vector, with the vector operands kept as
//     pre-splatted real/imaginary lanes so the inner loops need no shuffles (about 17 GFLOP/s at
//     n = 384 here, the speed of dgemm).
//  3. A diagonal unitary D = diag(phi_k) with phi_0 = 1, phi_{k+1} = phi_k e_k / |e_k| makes the
//     tridiagonal real: D^H T D has diagonal d and off-diagonal |e_k|.
//  4. tridiagEig (the real symmetric tridiagonal solver, tridiagonal.ts) gives
//     D^H T D = Z diag(w) Z^T.
//  5. Eigenvectors V = H_0...H_{n-3} D Z. For n < BLOCKED_APPLY_MIN the reflectors are applied one
//     by one (f64x2 row operations). Otherwise in blocks of NB with the compact form
//     H_k0...H_k1-1 = I - Y S Y^H (S upper triangular), V -= (Y S)(Y^H V), where every product is
//     one real dgemm call on the interleaved data:
//     * Y^H V: dgemm(transA) with the interleaved V seen as a real (rows x 2n) matrix and Y as a
//       real (rows x 2nb) matrix gives every real/imaginary cross product in one call (the same
//       for the Gram matrix Y^H Y that builds S);
//     * X W for interleaved X (rows x nb complex = rows x 2nb real) is X times the real (2nb x 2n)
//       expansion [[Re W, Im W], [-Im W, Re W]] (per complex entry): exactly the complex product.
//
// Degenerate eigenvalues are no problem: every transformation is unitary/orthogonal, so the
// returned eigenvectors are orthonormal to working precision whatever the multiplicities.

import { dgemm } from "./gemm";
import { tridiagEig } from "./tridiagonal";

// Reflectors applied per block in the back-transformation.
const NB: i32 = 32;
// Below this order the reflectors are applied one at a time (level-2, f64x2), which is faster
// there than the dgemm-based blocked form (measured crossover about 128 here).
const BLOCKED_APPLY_MIN: i32 = 128;

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

// |re + i im| without overflow or harmful underflow.
@inline function cabs(re: f64, im: f64): f64 {
  const ar = Math.abs(re), ai = Math.abs(im);
  const big = Math.max(ar, ai);
  if (big == 0) return 0;
  const small = Math.min(ar, ai) / big;
  return big * Math.sqrt(1.0 + small * small);
}

@inline function vpair(a: f64, b: f64): v128 {
  return f64x2.replace_lane(f64x2.splat(a), 1, b);
}

// 2^e for integer e in [-1022, 1023].
@inline function pow2(e: i32): f64 {
  return reinterpret<f64>(<i64>(e + 1023) << 52);
}

// ---------------------------------------------------------------------------------------------
// Householder reduction (step 2). W is the working copy (n x n complex, row stride n, lower
// triangle used); on exit its diagonal holds the real tridiagonal diagonal, column k below the
// diagonal (rows k+1..n-1) holds u_k, tau[k] the reflector coefficient (0: no reflection) and
// ec[k] the complex sub-diagonal entry T(k+1, k).
//
// Step k works on the trailing block rows/columns k+1..n-1. The rank-2 update of step k and the
// matrix-vector product of step k+1 are fused into one sweep over the block: the updated column
// k+1 is computed first (O(n)), reflector k+1 is built from it, and then every updated element
// is used at once for p_{k+1} = A u_{k+1}, so the block is read and written once per step.
//
// Per-row vectors are indexed by GLOBAL row number g and kept as pre-splatted v128 lanes so the
// inner loops need no shuffles; one record of VREC bytes per row:
//   +0 (ur, ur)  +16 (ui, ui)      u_k
//   +32 (qr, qr) +48 (qi, qi)      q_k = p_k - K u_k
//   +64 (ur, ur) +80 (ui, ui)      u_{k+1} (moved to +0 after each step)
// and one accumulator record of AREC bytes per row for the Hermitian mat-vec:
//   +0 PA, +16 PB: column sums  sum_g A[g][c] * (ur_g, ur_g) and * (ui_g, ui_g)
//   +32 P: row sum (complex)
// ---------------------------------------------------------------------------------------------
const VREC: usize = 96;
const AREC: usize = 48;
const U_OFF: usize = 0;
const UN_OFF: usize = 64;

// Build reflector k from column k (rows k+1..n-1) of W. Returns tau_k (0: none, ec[k] = x_0).
// On return (tau != 0): W column k holds u (u_0 = 1) and the u slot at `off` of every vector
// record g > k the splatted u_g.
function makeReflector(n: i32, W: usize, k: i32, tau: usize, ec: usize, VR: usize, off: usize): f64 {
  const ld = <usize>n;
  const rowBytes: usize = ld << 4;
  const r0 = k + 1;
  const m = n - 1 - k;
  const colp = W + ((<usize>r0 * ld + <usize>k) << 4);
  const x0r = load<f64>(colp), x0i = load<f64>(colp, 8);
  let restMax: f64 = 0;
  for (let t = 1; t < m; t++) {
    const q = colp + <usize>t * rowBytes;
    restMax = Math.max(restMax, Math.max(Math.abs(load<f64>(q)), Math.abs(load<f64>(q, 8))));
  }
  // The matrix is scaled to max component ~1: anything below 2^-960 is far under rounding.
  if (restMax < pow2(-960)) {
    store<f64>(tau + (<usize>k << 3), 0);
    store<f64>(ec + (<usize>k << 4), x0r);
    store<f64>(ec + (<usize>k << 4), x0i, 8);
    return 0;
  }
  const smax = Math.max(restMax, Math.max(Math.abs(x0r), Math.abs(x0i)));
  const inv = 1.0 / smax;
  let ss: f64 = 0;
  for (let t = 0; t < m; t++) {
    const q = colp + <usize>t * rowBytes;
    const xr = load<f64>(q) * inv, xi = load<f64>(q, 8) * inv;
    ss += xr * xr + xi * xi;
  }
  const sig = Math.sqrt(ss);
  const ar = x0r * inv, ai = x0i * inv;
  const absa = cabs(ar, ai);
  let phr: f64 = 1, phi: f64 = 0;
  if (absa > 0) { phr = ar / absa; phi = ai / absa; }
  // beta = -phase(alpha) * ||x||
  store<f64>(ec + (<usize>k << 4), -phr * sig * smax);
  store<f64>(ec + (<usize>k << 4), -phi * sig * smax, 8);
  const tk = (sig + absa) / sig;
  store<f64>(tau + (<usize>k << 3), tk);
  // u_t = x_t / (phase * (|alpha| + sigma)) for t >= 1, u_0 = 1 (all in scaled units).
  const den = 1.0 / (absa + sig);
  const cr = phr * den, ci = -phi * den;
  store<f64>(colp, 1.0);
  store<f64>(colp, 0.0, 8);
  const u0 = VR + <usize>r0 * VREC + off;
  v128.store(u0, f64x2.splat(1.0));
  v128.store(u0, f64x2.splat(0.0), 16);
  for (let t = 1; t < m; t++) {
    const q = colp + <usize>t * rowBytes;
    const xr = load<f64>(q) * inv, xi = load<f64>(q, 8) * inv;
    const ur = xr * cr - xi * ci, ui = xr * ci + xi * cr;
    store<f64>(q, ur);
    store<f64>(q, ui, 8);
    const us = VR + <usize>(r0 + t) * VREC + off;
    v128.store(us, f64x2.splat(ur));
    v128.store(us, f64x2.splat(ui), 16);
  }
  return tk;
}

// P[g] = row part (from the accumulators) + diagonal d * u_g
@inline function storeRowSum(ar: usize, acc1: v128, acc2: v128, d: f64, urt: v128, uit: v128): void {
  const pr = f64x2.extract_lane(acc1, 0) - f64x2.extract_lane(acc2, 1) + d * f64x2.extract_lane(urt, 0);
  const pi = f64x2.extract_lane(acc1, 1) + f64x2.extract_lane(acc2, 0) + d * f64x2.extract_lane(uit, 0);
  store<f64>(ar, pr, 32);
  store<f64>(ar, pi, 40);
}

// Standalone Hermitian mat-vec of the block c0..n-1 with u at the U slot (used when the previous
// step had no reflection to fuse with).
function matvecStep(n: i32, W: usize, c0: i32, VR: usize, AR: usize): void {
  const ld = <usize>n;
  const zero = f64x2.splat(0);
  for (let c = c0; c < n; c++) {
    const ap = AR + <usize>c * AREC;
    v128.store(ap, zero);
    v128.store(ap, zero, 16);
  }
  for (let g = c0; g < n; g++) {
    const row = W + ((<usize>g * ld) << 4);
    const vg = VR + <usize>g * VREC;
    const urt = v128.load(vg, U_OFF), uit = v128.load(vg, U_OFF + 16);
    let acc1 = zero, acc2 = zero;
    let ap = row + (<usize>c0 << 4);
    let vp = VR + <usize>c0 * VREC;
    let pp = AR + <usize>c0 * AREC;
    const end = row + (<usize>g << 4);
    while (ap < end) {
      const a0 = v128.load(ap);
      acc1 = f64x2.add(acc1, f64x2.mul(a0, v128.load(vp, U_OFF)));
      acc2 = f64x2.add(acc2, f64x2.mul(a0, v128.load(vp, U_OFF + 16)));
      v128.store(pp, f64x2.add(v128.load(pp), f64x2.mul(a0, urt)));
      v128.store(pp, f64x2.add(v128.load(pp, 16), f64x2.mul(a0, uit)), 16);
      ap += 16;
      vp += VREC;
      pp += AREC;
    }
    storeRowSum(AR + <usize>g * AREC, acc1, acc2, load<f64>(end), urt, uit);
  }
}

// p = tau (row sums + column sums); K = (tau/2) Re(u^H p); q = p - K u into the Q slot.
function finishQ(n: i32, c0: i32, tk: f64, VR: usize, AR: usize): void {
  let uhp: f64 = 0;
  for (let s = c0; s < n; s++) {
    const ar = AR + <usize>s * AREC;
    const pa = v128.load(ar), pb = v128.load(ar, 16);
    const pr = tk * (load<f64>(ar, 32) + f64x2.extract_lane(pa, 0) + f64x2.extract_lane(pb, 1));
    const pi = tk * (load<f64>(ar, 40) + f64x2.extract_lane(pb, 0) - f64x2.extract_lane(pa, 1));
    store<f64>(ar, pr, 32);
    store<f64>(ar, pi, 40);
    const vr = VR + <usize>s * VREC;
    uhp += load<f64>(vr, U_OFF) * pr + load<f64>(vr, U_OFF + 16) * pi;
  }
  const K = 0.5 * tk * uhp;
  for (let s = c0; s < n; s++) {
    const ar = AR + <usize>s * AREC;
    const vr = VR + <usize>s * VREC;
    v128.store(vr, f64x2.splat(load<f64>(ar, 32) - K * load<f64>(vr, U_OFF)), 32);
    v128.store(vr, f64x2.splat(load<f64>(ar, 40) - K * load<f64>(vr, U_OFF + 16)), 48);
  }
}

// The update term u_g conj(q_c) + q_g conj(u_c) of element (g, c), from the record of column c
// and the row constants c1 = (ur, ui), c2 = (ui, -ur), d1 = (qr, qi), d2 = (qi, -qr) of row g.
@inline function rank2Term(vp: usize, c1: v128, c2: v128, d1: v128, d2: v128): v128 {
  return f64x2.add(
    f64x2.add(f64x2.mul(v128.load(vp, 32), c1), f64x2.mul(v128.load(vp, 48), c2)),
    f64x2.add(f64x2.mul(v128.load(vp, U_OFF), d1), f64x2.mul(v128.load(vp, U_OFF + 16), d2)),
  );
}

// A[g][c] -= u_g conj(q_c) + q_g conj(u_c) for g = r0..n-1, c = cFirst..g. Diagonal imaginary
// parts are reset to 0.
function rank2Update(n: i32, W: usize, r0: i32, cFirst: i32, VR: usize): void {
  const ld = <usize>n;
  for (let g = r0; g < n; g++) {
    const row = W + ((<usize>g * ld) << 4);
    const vg = VR + <usize>g * VREC;
    const ur = load<f64>(vg, U_OFF), ui = load<f64>(vg, U_OFF + 16);
    const qr = load<f64>(vg, 32), qi = load<f64>(vg, 48);
    const c1 = vpair(ur, ui), c2 = vpair(ui, -ur);
    const d1 = vpair(qr, qi), d2 = vpair(qi, -qr);
    let ap = row + (<usize>cFirst << 4);
    let vp = VR + <usize>cFirst * VREC;
    const end = row + (<usize>g << 4);
    while (ap <= end) {
      v128.store(ap, f64x2.sub(v128.load(ap), rank2Term(vp, c1, c2, d1, d2)));
      ap += 16;
      vp += VREC;
    }
    if (cFirst <= g) store<f64>(end, 0.0, 8);
  }
}

// Fused sweep for step k (block r0 = k+1): column r0 is already updated. For rows g = r0+1..n-1:
// update A[g][c] for c = r0+1..g (rank-2 of step k) and accumulate the mat-vec of step k+1
// (vectors in the UN slot, block starting at r0+1) with the fresh values.
function fusedSweep(n: i32, W: usize, r0: i32, VR: usize, AR: usize): void {
  const ld = <usize>n;
  const c0 = r0 + 1;
  const zero = f64x2.splat(0);
  for (let c = c0; c < n; c++) {
    const ap = AR + <usize>c * AREC;
    v128.store(ap, zero);
    v128.store(ap, zero, 16);
  }
  for (let g = c0; g < n; g++) {
    const row = W + ((<usize>g * ld) << 4);
    const vg = VR + <usize>g * VREC;
    const ur = load<f64>(vg, U_OFF), ui = load<f64>(vg, U_OFF + 16);
    const qr = load<f64>(vg, 32), qi = load<f64>(vg, 48);
    const c1 = vpair(ur, ui), c2 = vpair(ui, -ur);
    const d1 = vpair(qr, qi), d2 = vpair(qi, -qr);
    const urt = v128.load(vg, UN_OFF), uit = v128.load(vg, UN_OFF + 16);
    let acc1 = zero, acc2 = zero;
    let ap = row + (<usize>c0 << 4);
    let vp = VR + <usize>c0 * VREC;
    let pp = AR + <usize>c0 * AREC;
    const end = row + (<usize>g << 4);
    while (ap < end) {
      const a0 = f64x2.sub(v128.load(ap), rank2Term(vp, c1, c2, d1, d2));
      v128.store(ap, a0);
      acc1 = f64x2.add(acc1, f64x2.mul(a0, v128.load(vp, UN_OFF)));
      acc2 = f64x2.add(acc2, f64x2.mul(a0, v128.load(vp, UN_OFF + 16)));
      v128.store(pp, f64x2.add(v128.load(pp), f64x2.mul(a0, urt)));
      v128.store(pp, f64x2.add(v128.load(pp, 16), f64x2.mul(a0, uit)), 16);
      ap += 16;
      vp += VREC;
      pp += AREC;
    }
    // diagonal (real)
    const dg = f64x2.extract_lane(f64x2.sub(v128.load(end), rank2Term(vg, c1, c2, d1, d2)), 0);
    store<f64>(end, dg);
    store<f64>(end, 0.0, 8);
    storeRowSum(AR + <usize>g * AREC, acc1, acc2, dg, urt, uit);
  }
}

// A[g][r0] -= u_g conj(q_r0) + q_g conj(u_r0) for g = r0..n-1 (the first column of the block).
function rank2UpdateColumn(n: i32, W: usize, r0: i32, VR: usize): void {
  const ld = <usize>n;
  const v0 = VR + <usize>r0 * VREC;
  for (let g = r0; g < n; g++) {
    const vg = VR + <usize>g * VREC;
    const ur = load<f64>(vg, U_OFF), ui = load<f64>(vg, U_OFF + 16);
    const qr = load<f64>(vg, 32), qi = load<f64>(vg, 48);
    const ap = W + ((<usize>g * ld + <usize>r0) << 4);
    v128.store(ap, f64x2.sub(v128.load(ap), rank2Term(v0, vpair(ur, ui), vpair(ui, -ur), vpair(qr, qi), vpair(qi, -qr))));
    if (g == r0) store<f64>(ap, 0.0, 8);
  }
}

function reduceToTridiagonal(n: i32, W: usize, tau: usize, ec: usize, scratch: usize): void {
  // scratch: n vector records (VREC bytes) then n accumulator records (AREC bytes)
  const VR = scratch;
  const AR = VR + <usize>n * VREC;
  if (n < 2) return;
  let tk = makeReflector(n, W, 0, tau, ec, VR, U_OFF);
  if (tk != 0) matvecStep(n, W, 1, VR, AR);
  for (let k = 0; k < n - 1; k++) {
    const r0 = k + 1;
    const last = k + 1 > n - 2; // no reflector after this one
    if (tk == 0) {
      // nothing to update: the next reflector comes from the unchanged column k+1
      if (!last) {
        tk = makeReflector(n, W, k + 1, tau, ec, VR, U_OFF);
        if (tk != 0) matvecStep(n, W, k + 2, VR, AR);
      }
      continue;
    }
    finishQ(n, r0, tk, VR, AR);
    if (last) {
      rank2Update(n, W, r0, r0, VR);
      break;
    }
    // column r0 of the block first (rows r0..n-1), then reflector k+1 from it
    rank2UpdateColumn(n, W, r0, VR);
    const tn = makeReflector(n, W, k + 1, tau, ec, VR, UN_OFF);
    if (tn != 0) {
      fusedSweep(n, W, r0, VR, AR);
      // u_{k+1} becomes the current vector
      for (let g = r0 + 1; g < n; g++) {
        const vg = VR + <usize>g * VREC;
        v128.store(vg, v128.load(vg, UN_OFF), U_OFF);
        v128.store(vg, v128.load(vg, UN_OFF + 16), U_OFF + 16);
      }
    } else {
      rank2Update(n, W, r0 + 1, r0 + 1, VR);
    }
    tk = tn;
  }
}

// ---------------------------------------------------------------------------------------------
// Back-transformation (step 5): V <- H_0 ... H_{nr-1} V for the reflectors stored in W.
// V is n x n complex with row stride ldv (complex elements).
// ---------------------------------------------------------------------------------------------
function applyReflectors(n: i32, W: usize, tau: usize, V: usize, ldv: i32): void {
  const nr = n - 2; // reflector k acts on rows k+1..n-1; k = n-2 never reflects
  if (nr <= 0) return;
  const ld = <usize>n;
  const nbMax = nr < NB ? nr : NB;
  // Y, YS: (n-1) x nbMax complex; S: nbMax x nbMax complex; Sx: its 2nbMax x 2nbMax real
  // expansion; C: 2n x 2nbMax real; Wb: nbMax x n complex; Wx: 2nbMax x 2n real.
  const Y = heap.alloc(<usize>(n - 1) * <usize>nbMax << 4);
  const S = heap.alloc(<usize>nbMax * <usize>nbMax << 4);
  const C = heap.alloc(<usize>(2 * n) * <usize>(2 * nbMax) << 3);
  const Wb = heap.alloc(<usize>nbMax * <usize>n << 4);
  const Wx = heap.alloc(<usize>(2 * nbMax) * <usize>(2 * n) << 3);
  const YS = heap.alloc(<usize>(n - 1) * <usize>nbMax << 4);
  const Sx = heap.alloc(<usize>(4 * nbMax * nbMax) << 3);

  // Blocks from the last to the first.
  let kEnd = nr;
  while (kEnd > 0) {
    const k0 = kEnd > nbMax ? kEnd - nbMax : 0;
    const bs = kEnd - k0;
    const rows = n - 1 - k0; // rows k0+1..n-1 of V are touched
    const ldy = <usize>bs;
    // Build Y (rows x bs): column a is u_{k0+a} placed from local row a (unit there).
    for (let r = 0; r < rows; r++) {
      const yrow = Y + ((<usize>r * ldy) << 4);
      for (let a = 0; a < bs; a++) {
        const yp = yrow + (<usize>a << 4);
        const kk = k0 + a;
        if (r < a || load<f64>(tau + (<usize>kk << 3)) == 0) {
          store<f64>(yp, r == a ? 1.0 : 0.0);
          store<f64>(yp, 0.0, 8);
        } else {
          // global row k0+1+r, column kk of W
          const src = W + ((<usize>(k0 + 1 + r) * ld + <usize>kk) << 4);
          store<f64>(yp, load<f64>(src));
          store<f64>(yp, load<f64>(src, 8), 8);
        }
      }
    }
    // S upper triangular: S[a][a] = tau_a, S[0:a, a] = -tau_a S[0:a,0:a] (Y^H y_a).
    // Gram matrix Y^H Y from one real product C = Y_real^T Y_real (2bs x 2bs).
    dgemm(1, 0, 2 * bs, 2 * bs, rows, 1.0, Y, 2 * bs, Y, 2 * bs, 0.0, C, 2 * bs);
    for (let a = 0; a < bs; a++) {
      const ta = load<f64>(tau + (<usize>(k0 + a) << 3));
      // g_b = (Y^H y_a)_b for b < a, stored temporarily in column a of S
      const ldg = <usize>(2 * bs);
      for (let b = 0; b < a; b++) {
        const c0 = C + ((<usize>(2 * b) * ldg) << 3);
        const c1 = c0 + (ldg << 3);
        const gr = load<f64>(c0 + (<usize>(2 * a) << 3)) + load<f64>(c1 + (<usize>(2 * a + 1) << 3));
        const gi = load<f64>(c0 + (<usize>(2 * a + 1) << 3)) - load<f64>(c1 + (<usize>(2 * a) << 3));
        const sp = S + ((<usize>b * <usize>bs + <usize>a) << 4);
        store<f64>(sp, gr);
        store<f64>(sp, gi, 8);
      }
      // S[b][a] = -tau_a sum_{c=b}^{a-1} S[b][c] g_c   (b ascending: g_c with c > b still intact)
      for (let b = 0; b < a; b++) {
        let sr: f64 = 0, si: f64 = 0;
        for (let c = b; c < a; c++) {
          const sbc = S + ((<usize>b * <usize>bs + <usize>c) << 4);
          const gc = S + ((<usize>c * <usize>bs + <usize>a) << 4);
          const xr = load<f64>(sbc), xi = load<f64>(sbc, 8);
          const yr = load<f64>(gc), yi = load<f64>(gc, 8);
          sr += xr * yr - xi * yi;
          si += xr * yi + xi * yr;
        }
        const sp = S + ((<usize>b * <usize>bs + <usize>a) << 4);
        store<f64>(sp, -ta * sr);
        store<f64>(sp, -ta * si, 8);
      }
      const sp = S + ((<usize>a * <usize>bs + <usize>a) << 4);
      store<f64>(sp, ta);
      store<f64>(sp, 0.0, 8);
      for (let b = a + 1; b < bs; b++) {
        const z = S + ((<usize>b * <usize>bs + <usize>a) << 4);
        store<f64>(z, 0.0);
        store<f64>(z, 0.0, 8);
      }
    }
    // YS = Y S (rows x bs complex) as one real product with the (2bs x 2bs) expansion of S.
    const lds = <usize>(2 * bs);
    for (let b = 0; b < bs; b++) {
      const r0p = Sx + ((<usize>(2 * b) * lds) << 3);
      const r1p = r0p + (lds << 3);
      for (let a = 0; a < bs; a++) {
        const sp = S + ((<usize>b * <usize>bs + <usize>a) << 4);
        const sr = load<f64>(sp), si = load<f64>(sp, 8);
        store<f64>(r0p + (<usize>(2 * a) << 3), sr);
        store<f64>(r0p + (<usize>(2 * a + 1) << 3), si);
        store<f64>(r1p + (<usize>(2 * a) << 3), -si);
        store<f64>(r1p + (<usize>(2 * a + 1) << 3), sr);
      }
    }
    dgemm(0, 0, rows, 2 * bs, 2 * bs, 1.0, Y, 2 * bs, Sx, 2 * bs, 0.0, YS, 2 * bs);
    // C (2n x 2bs) = Vb_real^T Y_real, Vb = rows k0+1.. of V.
    const Vb = V + ((<usize>(k0 + 1) * <usize>ldv) << 4);
    dgemm(1, 0, 2 * n, 2 * bs, rows, 1.0, Vb, 2 * ldv, Y, 2 * bs, 0.0, C, 2 * bs);
    // Wb[a][j] = (Y^H Vb)[a][j]
    const ldc = <usize>(2 * bs);
    for (let j = 0; j < n; j++) {
      const c0 = C + ((<usize>(2 * j) * ldc) << 3);
      const c1 = c0 + (ldc << 3);
      for (let a = 0; a < bs; a++) {
        const rr = load<f64>(c0 + (<usize>(2 * a) << 3)) + load<f64>(c1 + (<usize>(2 * a + 1) << 3));
        const ii = load<f64>(c1 + (<usize>(2 * a) << 3)) - load<f64>(c0 + (<usize>(2 * a + 1) << 3));
        const wp = Wb + ((<usize>a * ld + <usize>j) << 4);
        store<f64>(wp, rr);
        store<f64>(wp, ii, 8);
      }
    }
    // Wx (2bs x 2n) real expansion of Wb.
    const ldw = <usize>(2 * n);
    for (let a = 0; a < bs; a++) {
      const r0p = Wx + ((<usize>(2 * a) * ldw) << 3);
      const r1p = r0p + (ldw << 3);
      const wa = Wb + ((<usize>a * ld) << 4);
      for (let j = 0; j < n; j++) {
        const src = wa + (<usize>j << 4);
        const wr = load<f64>(src), wi = load<f64>(src, 8);
        store<f64>(r0p + (<usize>(2 * j) << 3), wr);
        store<f64>(r0p + (<usize>(2 * j + 1) << 3), wi);
        store<f64>(r1p + (<usize>(2 * j) << 3), -wi);
        store<f64>(r1p + (<usize>(2 * j + 1) << 3), wr);
      }
    }
    // Vb -= (Y S) (Y^H Vb)
    dgemm(0, 0, rows, 2 * n, 2 * bs, -1.0, YS, 2 * bs, Wx, 2 * n, 1.0, Vb, 2 * ldv);
    kEnd = k0;
  }
  heap.free(Sx);
  heap.free(YS);
  heap.free(Wx);
  heap.free(Wb);
  heap.free(C);
  heap.free(S);
  heap.free(Y);
}

// Unblocked back-transformation for small n: V <- H_k V for k = nr-1 down to 0, each as
// s = u^H V (rows k+1..n-1), V -= tau u s, with f64x2 complex arithmetic on contiguous rows.
// scratch: 2 v128 per column for the split column sums, 2 v128 per column for tau*s splatted.
function applyReflectorsUnblocked(n: i32, W: usize, tau: usize, V: usize, ldv: i32): void {
  const nr = n - 2;
  if (nr <= 0) return;
  const ld = <usize>n;
  const rowV = <usize>ldv << 4;
  const S = heap.alloc(<usize>n << 5);
  const T = heap.alloc(<usize>n << 5);
  const zero = f64x2.splat(0);
  const nb = <usize>n << 4; // bytes of one row of V
  for (let k = nr - 1; k >= 0; k--) {
    const tk = load<f64>(tau + (<usize>k << 3));
    if (tk == 0) continue;
    const r0 = k + 1;
    for (let j = 0; j < n; j++) {
      v128.store(S + (<usize>j << 5), zero);
      v128.store(S + (<usize>j << 5), zero, 16);
    }
    // column sums SA_j = sum_g V[g][j] * ur_g, SB_j = sum_g V[g][j] * ui_g
    for (let g = r0; g < n; g++) {
      const up = W + ((<usize>g * ld + <usize>k) << 4);
      const ur = f64x2.splat(load<f64>(up)), ui = f64x2.splat(load<f64>(up, 8));
      let vp = V + <usize>g * rowV;
      const end = vp + nb;
      let sp = S;
      while (vp < end) {
        const x = v128.load(vp);
        v128.store(sp, f64x2.add(v128.load(sp), f64x2.mul(x, ur)));
        v128.store(sp, f64x2.add(v128.load(sp, 16), f64x2.mul(x, ui)), 16);
        vp += 16;
        sp += 32;
      }
    }
    // w_j = tau * s_j with s_j = (SA.re + SB.im, SA.im - SB.re) = (u^H V)_j
    for (let j = 0; j < n; j++) {
      const sp = S + (<usize>j << 5);
      const sa = v128.load(sp), sb = v128.load(sp, 16);
      const wr = tk * (f64x2.extract_lane(sa, 0) + f64x2.extract_lane(sb, 1));
      const wi = tk * (f64x2.extract_lane(sa, 1) - f64x2.extract_lane(sb, 0));
      v128.store(T + (<usize>j << 5), f64x2.splat(wr));
      v128.store(T + (<usize>j << 5), f64x2.splat(wi), 16);
    }
    // V[g][j] -= u_g w_j = wr * (ur, ui) + wi * (-ui, ur)
    for (let g = r0; g < n; g++) {
      const up = W + ((<usize>g * ld + <usize>k) << 4);
      const ur = load<f64>(up), ui = load<f64>(up, 8);
      const c1 = vpair(ur, ui), c2 = vpair(-ui, ur);
      let vp = V + <usize>g * rowV;
      const end = vp + nb;
      let tp = T;
      while (vp < end) {
        v128.store(vp, f64x2.sub(v128.load(vp), f64x2.add(f64x2.mul(v128.load(tp), c1), f64x2.mul(v128.load(tp, 16), c2))));
        vp += 16;
        tp += 32;
      }
    }
  }
  heap.free(T);
  heap.free(S);
}

// ---------------------------------------------------------------------------------------------
// The solver
// ---------------------------------------------------------------------------------------------
export function eighHerm(n: i32, a: usize, lda: i32, w: usize, v: usize, ldv: i32): i32 {
  if (n < 0 || lda < n || ldv < n) return 4;
  if (n == 0) return 0;
  // Finite check and the largest component of the lower triangle.
  let amax: f64 = 0;
  let bad: f64 = 0;
  for (let i = 0; i < n; i++) {
    const row = a + ((<usize>i * <usize>lda) << 4);
    for (let j = 0; j <= i; j++) {
      const re = load<f64>(row + (<usize>j << 4)), im = load<f64>(row + (<usize>j << 4), 8);
      bad += re * 0.0 + im * 0.0;
      amax = Math.max(amax, Math.abs(re));
      if (j < i) amax = Math.max(amax, Math.abs(im));
    }
  }
  if (bad != bad) return 1;
  const ldvb = <usize>ldv;
  if (amax == 0) {
    for (let i = 0; i < n; i++) {
      store<f64>(w + (<usize>i << 3), 0);
      for (let j = 0; j < n; j++) {
        const p = v + ((<usize>i * ldvb + <usize>j) << 4);
        store<f64>(p, i == j ? 1.0 : 0.0);
        store<f64>(p, 0.0, 8);
      }
    }
    return 0;
  }
  // Exact power-of-two scaling to max component in [1, 2).
  let ex = <i32>((reinterpret<u64>(amax) >> 52) & 0x7ff) - 1023;
  if (ex < -1022) ex = -1022;
  if (ex > 1022) ex = 1022;
  const scale = pow2(-ex);
  const unscale = pow2(ex);

  const nn = <usize>n;
  const W = heap.alloc((nn * nn) << 4);
  for (let i = 0; i < n; i++) {
    const src = a + ((<usize>i * <usize>lda) << 4);
    const dst = W + ((<usize>i * nn) << 4);
    for (let j = 0; j < i; j++) {
      store<f64>(dst + (<usize>j << 4), load<f64>(src + (<usize>j << 4)) * scale);
      store<f64>(dst + (<usize>j << 4), load<f64>(src + (<usize>j << 4), 8) * scale, 8);
    }
    store<f64>(dst + (<usize>i << 4), load<f64>(src + (<usize>i << 4)) * scale);
    store<f64>(dst + (<usize>i << 4), 0.0, 8);
  }
  const tau = heap.alloc(nn << 3);
  const ec = heap.alloc(nn << 4);
  const scratch = heap.alloc(nn * (VREC + AREC));
  reduceToTridiagonal(n, W, tau, ec, scratch);
  heap.free(scratch);

  // Real tridiagonal and the phases.
  const d = w;
  const e = heap.alloc(nn << 3);
  const ph = heap.alloc(nn << 4);
  for (let i = 0; i < n; i++) store<f64>(d + (<usize>i << 3), load<f64>(W + ((<usize>i * nn + <usize>i) << 4)));
  let pr: f64 = 1, pi: f64 = 0;
  store<f64>(ph, 1.0);
  store<f64>(ph, 0.0, 8);
  for (let k = 0; k < n - 1; k++) {
    const er = load<f64>(ec + (<usize>k << 4)), ei = load<f64>(ec + (<usize>k << 4), 8);
    const ae = cabs(er, ei);
    store<f64>(e + (<usize>k << 3), ae);
    if (ae > 0) {
      const ur = er / ae, ui = ei / ae;
      const nr = pr * ur - pi * ui;
      const ni = pr * ui + pi * ur;
      // renormalise so that rounding does not accumulate in the phase modulus
      const mag = cabs(nr, ni);
      pr = nr / mag;
      pi = ni / mag;
    }
    const pp = ph + (<usize>(k + 1) << 4);
    store<f64>(pp, pr);
    store<f64>(pp, pi, 8);
  }
  if (n > 1) store<f64>(e + (<usize>(n - 1) << 3), 0);

  const Z = heap.alloc((nn * nn) << 3);
  const st = tridiagEig(n, d, e, Z, n);
  if (st != 0) {
    heap.free(Z);
    heap.free(ph);
    heap.free(e);
    heap.free(ec);
    heap.free(tau);
    heap.free(W);
    return st;
  }
  // V = D Z
  for (let i = 0; i < n; i++) {
    const php = ph + (<usize>i << 4);
    const c = v128.load(php);
    const zr = Z + ((<usize>i * nn) << 3);
    const vr = v + ((<usize>i * ldvb) << 4);
    for (let j = 0; j < n; j++) {
      v128.store(vr + (<usize>j << 4), f64x2.mul(c, f64x2.splat(load<f64>(zr + (<usize>j << 3)))));
    }
  }
  if (n < BLOCKED_APPLY_MIN) applyReflectorsUnblocked(n, W, tau, v, ldv);
  else applyReflectors(n, W, tau, v, ldv);
  for (let i = 0; i < n; i++) store<f64>(w + (<usize>i << 3), load<f64>(w + (<usize>i << 3)) * unscale);

  heap.free(Z);
  heap.free(ph);
  heap.free(e);
  heap.free(ec);
  heap.free(tau);
  heap.free(W);
  return 0;
}
