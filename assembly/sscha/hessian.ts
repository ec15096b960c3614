// Element-wise kernels of the static-bubble free-energy Hessian (physics.md 5.11; host side and the
// algebra in src/sscha/hessian.ts). The heavy work is done by `dgemm`; these kernels are the
// O(N_c·M·B) and O(M²·B) glue between the GEMMs:
//
//   sschaHessScale      Y'[i, b·M + ν] = w_i δf_{i,a_b} y_{iν}          (and s_b = Σ_i w_i δf_{i,a_b})
//   sschaHessTransform  X_b = −(Z_b − s_b I)·invW ∘ F   in place, tr(X_b)  (F = Q = ℓ/(A²A²ᵀ), or 1)
//   sschaHessQuad       G[b, i] = −w_i·invW·( Σ_ν P[i, b·M + ν] y_{iν} − tr_b )
//   sschaHessPairVec    p_t = y_i ∘ y_j and base_t = tr Q − Σ_μ Q_μμ (y_iμ² + y_jμ²)   (unbiased estimator)
//   sschaHessPairDot    K_t = base_t + p_t · (Q p_t)
//   sschaHessPairCorr   G[b, i] ← α G[b, i] − β w_i Σ_{j ∈ unit(i)} K_ij w_j δf_{j,a_b}
//
// Row-major f64, byte pointers, row strides in elements (docs/kernels.md). Status 0 ok, 4 bad argument.
// No scratch is allocated here.
import { dot, ldf, stf, ldi, rowPtr } from "../linalg/common";

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
      const s = dot(pr + (<usize>(b * m) << 3), yr, m);
      stf(g, b * ldg + i, -wi * invW * (s - ldf(traces, b)));
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Unbiased (U-statistic) estimator: the same-unit terms of Π = (1/W²) Σ_ij w_i w_j δf_ia δf_jb K_ij,
//   K_ij = Σ_μν Q_μν (y_iμ y_iν − δ_μν)(y_jμ y_jν − δ_μν)
//        = p_ijᵀ Q p_ij − Σ_μ Q_μμ (y_iμ² + y_jμ²) + tr Q,     p_ij = y_i ∘ y_j,
// are removed (src/sscha/hessian.ts). K is formed as base + rowdot(P, P·Q) with one dgemm per chunk.

/**
 * For t < cnt with i = ii[t], j = jj[t]: out[t·ldo + ν] = y[i·ldy + ν]·y[j·ldy + ν] (ν < m) and
 * base[t] = Σ_μ Q_μμ − Σ_μ Q_μμ (y_iμ² + y_jμ²)  (Q row stride m).
 */
export function sschaHessPairVec(
  m: i32, cnt: i32, y: usize, ldy: i32, ii: usize, jj: usize, q: usize, out: usize, ldo: i32, base: usize,
): i32 {
  if (m <= 0 || cnt < 0 || ldy < m || ldo < m) return 4;
  let trq: f64 = 0;
  for (let mu = 0; mu < m; mu++) trq += ldf(q, mu * m + mu);
  for (let t = 0; t < cnt; t++) {
    const yi = rowPtr(y, ldi(ii, t), ldy);
    const yj = rowPtr(y, ldi(jj, t), ldy);
    const o = rowPtr(out, t, ldo);
    let s: f64 = trq;
    for (let mu = 0; mu < m; mu++) {
      const a = ldf(yi, mu);
      const b = ldf(yj, mu);
      stf(o, mu, a * b);
      s -= ldf(q, mu * m + mu) * (a * a + b * b);
    }
    stf(base, t, s);
  }
  return 0;
}

/** out[t] = base[t] + Σ_ν p[t·ldp + ν]·r[t·ldr + ν]  for t < cnt. */
export function sschaHessPairDot(m: i32, cnt: i32, p: usize, ldp: i32, r: usize, ldr: i32, base: usize, out: usize): i32 {
  if (m <= 0 || cnt < 0 || ldp < m || ldr < m) return 4;
  for (let t = 0; t < cnt; t++) {
    const pr = rowPtr(p, t, ldp);
    const rr = rowPtr(r, t, ldr);
    let a0 = f64x2.splat(0);
    let nu = 0;
    for (; nu + 2 <= m; nu += 2) {
      const off = <usize>nu << 3;
      a0 = f64x2.add(a0, f64x2.mul(v128.load(pr + off), v128.load(rr + off)));
    }
    let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
    for (; nu < m; nu++) s += ldf(pr, nu) * ldf(rr, nu);
    stf(out, t, ldf(base, t) + s);
  }
  return 0;
}

/**
 * The same-unit correction of the coefficient matrix g (nb × nc, row stride ldg) of Π rows = g·δF:
 *   g[b·ldg + i] ← alpha·g[b·ldg + i] − beta·w_i·( kd_i·w_i·δf_{i,a_b} + kx_i·w_p·δf_{p,a_b} ),
 * a_b = rows[b]; unit = 2: the partner of i is p = i xor 1 (none when p ≥ nc), unit = 1: no partner.
 * kd_i = K_ii, kx_i = K_{i,p}. alpha = 0 overwrites g (its old content is not read). `w` may be 0 (all 1).
 */
export function sschaHessPairCorr(
  nc: i32, nb: i32, df: usize, ldf_: i32, rows: usize, w: usize, kd: usize, kx: usize, unit: i32,
  alpha: f64, beta: f64, g: usize, ldg: i32,
): i32 {
  if (nc < 0 || nb <= 0 || ldg < nc || (unit != 1 && unit != 2)) return 4;
  for (let i = 0; i < nc; i++) {
    const wi: f64 = w == 0 ? 1.0 : ldf(w, i);
    const p = unit == 2 ? i ^ 1 : -1;
    const hasP = p >= 0 && p < nc;
    const wp: f64 = hasP ? (w == 0 ? 1.0 : ldf(w, p)) : 0.0;
    const fi = rowPtr(df, i, ldf_);
    const fp = hasP ? rowPtr(df, p, ldf_) : fi;
    const cd = beta * wi * wi * ldf(kd, i);
    const cx = hasP ? beta * wi * wp * ldf(kx, i) : 0.0;
    for (let b = 0; b < nb; b++) {
      const a = ldi(rows, b);
      const corr = cd * ldf(fi, a) + cx * ldf(fp, a);
      const at = b * ldg + i;
      stf(g, at, alpha == 0 ? -corr : alpha * ldf(g, at) - corr);
    }
  }
  return 0;
}
