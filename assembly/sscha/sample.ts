// SSCHA ensemble generation (physics.md 5.2, docs/sscha.md).
//
//   ssSample(nc, m, n3, seed, stream, amp, etilde, r0, xi, x, work): i32
//     Antithetic pairs: for k < nc/2, row 2k of xi (nc x m) receives the standard normals
//     [k·m, (k+1)·m) of Philox stream `stream` of `seed` (rngNormal; the SSCHA uses the population
//     index as the stream), row 2k+1 their negatives. Displacements of the pairs in one GEMM,
//     U = (Ξ_even · diag(A)) · Ẽ  ((nc/2) x n3), and positions x_{2k} = R₀ + u_k, x_{2k+1} = R₀ − u_k
//     (x: nc x n3, Cartesian Å). work: (nc/2) x m scratch. The two members of a pair are exact
//     negatives of each other (bitwise) around R₀.
//     Status: 0 ok, 1 NaN/Inf in amp, etilde or r0, 4 bad argument (nc odd or not positive).
import { dgemm } from "../linalg/gemm";
import { rngNormal } from "../random/rng";
import { finiteVec } from "../linalg/common";

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

export function ssSample(
  nc: i32, m: i32, n3: i32, seed: u64, stream: u64,
  amp: usize, etilde: usize, r0: usize, xi: usize, x: usize, work: usize,
): i32 {
  if (nc <= 0 || (nc & 1) != 0 || m <= 0 || n3 <= 0 || m > n3) return 4;
  if (!finiteVec(amp, m) || !finiteVec(etilde, m * n3) || !finiteVec(r0, n3)) return 1;
  const half = nc >> 1;
  for (let k = 0; k < half; k++) {
    const even = xi + (<usize>(2 * k * m) << 3);
    const odd = even + (<usize>m << 3);
    rngNormal(seed, stream, <u64>k * <u64>m, m, even);
    const t = work + (<usize>(k * m) << 3);
    for (let mu = 0; mu < m; mu++) {
      const z = ld(even, mu);
      st(odd, mu, -z);
      st(t, mu, z * ld(amp, mu));
    }
  }
  // u_k into the even rows of x (row stride 2·n3)
  dgemm(0, 0, half, n3, m, 1.0, work, m, etilde, n3, 0.0, x, 2 * n3);
  for (let k = 0; k < half; k++) {
    const even = x + (<usize>(2 * k * n3) << 3);
    const odd = even + (<usize>n3 << 3);
    for (let a = 0; a < n3; a++) {
      const u = ld(even, a);
      const r = ld(r0, a);
      st(even, a, r + u);
      st(odd, a, r - u);
    }
  }
  return 0;
}
