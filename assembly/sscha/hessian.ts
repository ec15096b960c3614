// Element-wise kernels of the static-bubble free-energy Hessian (physics.md 5.11; host side and the
// algebra in src/sscha/hessian.ts). The heavy work is done by `dgemm`; these kernels are the
// O(N_c·M·B) and O(M²·B) glue between the GEMMs:
//
//   sschaHessScale      Y'[i, b·M + ν] = w_i δf_{i,a_b} y_{iν}          (and s_b = Σ_i w_i δf_{i,a_b})
//   sschaHessTransform  X_b = −(Z_b − s_b I)·invW ∘ F   in place, tr(X_b)  (F = Q = ℓ/(A²A²ᵀ), or 1)
//   sschaHessQuad       G[b, i] = −w_i·invW·( Σ_ν P[i, b·M + ν] y_{iν} − tr_b )
//
// Row-major f64, byte pointers, row strides in elements (docs/kernels.md). Status 0 ok, 4 bad argument.
// No scratch is allocated here.
import { ldf, stf, ldi, rowPtr } from "../linalg/common";

/**
 * For the nb rows a_b = rows[b] of δf: out[i·ldo + b·m + ν] = w_i · df[i·ldf + a_b] · y[i·ldy + ν]
 * (i < nc, ν < m), and sums[b] = Σ_i w_i df[i·ldf + a_b]. `w` may be 0 (all weights 1).
 */
export function sschaHessScale(
  nc: i32, m: i32, y: usize, ldy: i32, df: usize, ldf_: i32, w: usize,
  rows: usize, nb: i32, out: usize, ldo: i32, sums: usize,
): i32 {
  if (nc < 0 || m <= 0 || nb <= 0 || ldy < m || ldo < nb * m) return 4;
  for (let b = 0; b < nb; b++) stf(sums, b, 0.0);
  for (let i = 0; i < nc; i++) {
    const yr = rowPtr(y, i, ldy);
    const fr = rowPtr(df, i, ldf_);
    const orow = rowPtr(out, i, ldo);
    const wi: f64 = w == 0 ? 1.0 : ldf(w, i);
    for (let b = 0; b < nb; b++) {
      const s = wi * ldf(fr, ldi(rows, b));
      stf(sums, b, ldf(sums, b) + s);
      const o = orow + (<usize>(b * m) << 3);
      const sv = f64x2.splat(s);
      let nu = 0;
      for (; nu + 2 <= m; nu += 2) {
        const off = <usize>nu << 3;
        v128.store(o + off, f64x2.mul(sv, v128.load(yr + off)));
      }
      for (; nu < m; nu++) stf(o, nu, s * ldf(yr, nu));
    }
  }
  return 0;
}

/**
 * In place on nb stacked symmetric m×m blocks (block b occupies rows b·m … b·m+m−1 of z, row stride
 * ldz): X_b[μν] = −(Z_b[μν] − δ_μν s_b) · invW · F[μν] (F row stride m; f = 0 means F = 1), and
 * traces[b] = Σ_μ X_b[μμ].
 */
export function sschaHessTransform(
  m: i32, nb: i32, z: usize, ldz: i32, sums: usize, invW: f64, f: usize, traces: usize,
): i32 {
  if (m <= 0 || nb <= 0 || ldz < m) return 4;
  const c = f64x2.splat(-invW);
  for (let b = 0; b < nb; b++) {
    const sb = ldf(sums, b);
    let tr: f64 = 0;
    for (let mu = 0; mu < m; mu++) {
      const zr = rowPtr(z, b * m + mu, ldz);
      // diagonal shift first, then the scaling of the whole row
      stf(zr, mu, ldf(zr, mu) - sb);
      let nu = 0;
      if (f != 0) {
        const fr = rowPtr(f, mu, m);
        for (; nu + 2 <= m; nu += 2) {
          const off = <usize>nu << 3;
          v128.store(zr + off, f64x2.mul(f64x2.mul(v128.load(zr + off), c), v128.load(fr + off)));
        }
        for (; nu < m; nu++) stf(zr, nu, ldf(zr, nu) * -invW * ldf(fr, nu));
      } else {
        for (; nu + 2 <= m; nu += 2) {
          const off = <usize>nu << 3;
          v128.store(zr + off, f64x2.mul(v128.load(zr + off), c));
        }
        for (; nu < m; nu++) stf(zr, nu, ldf(zr, nu) * -invW);
      }
      tr += ldf(zr, mu);
    }
    stf(traces, b, tr);
  }
  return 0;
}

/**
 * g[b·ldg + i] = −w_i · invW · ( Σ_ν p[i·ldp + b·m + ν] · y[i·ldy + ν] − traces[b] )  for i < nc, b < nb.
 * `w` may be 0 (all weights 1).
 */
export function sschaHessQuad(
  nc: i32, m: i32, nb: i32, p: usize, ldp: i32, y: usize, ldy: i32, traces: usize,
  w: usize, invW: f64, g: usize, ldg: i32,
): i32 {
  if (nc < 0 || m <= 0 || nb <= 0 || ldp < nb * m || ldy < m || ldg < nc) return 4;
  for (let i = 0; i < nc; i++) {
    const yr = rowPtr(y, i, ldy);
    const pr = rowPtr(p, i, ldp);
    const wi: f64 = w == 0 ? 1.0 : ldf(w, i);
    for (let b = 0; b < nb; b++) {
      const q = pr + (<usize>(b * m) << 3);
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let nu = 0;
      for (; nu + 4 <= m; nu += 4) {
        const off = <usize>nu << 3;
        a0 = f64x2.add(a0, f64x2.mul(v128.load(q + off), v128.load(yr + off)));
        a1 = f64x2.add(a1, f64x2.mul(v128.load(q + off + 16), v128.load(yr + off + 16)));
      }
      a0 = f64x2.add(a0, a1);
      let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
      for (; nu < m; nu++) s += ldf(q, nu) * ldf(yr, nu);
      stf(g, b * ldg + i, -wi * invW * (s - ldf(traces, b)));
    }
  }
  return 0;
}
