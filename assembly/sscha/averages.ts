// SSCHA ensemble averages at the current (R, Φ, T) (physics.md 5.3–5.6, 5.10; docs/sscha.md).
//
//   ssAverages(nc, n3, m, exact, volume, ptrs, paired): i32
//   `ptrs` is a table of byte addresses (u32, slot numbers below); every array is row-major f64.
//   paired & 1: configurations 2k and 2k+1 are an antithetic pair (ξ and −ξ, physics.md 5.2) and
//   every error is computed over the nc/2 pairs (see "Errors" below); otherwise (odd nc, or a
//   population that is not made of pairs): per configuration.
//   paired & 2 (requires & 1): the positions are antithetic too, x_{2k,2k+1} = R₀ ± v_k (to rounding of
//   the stored positions, checked by the host), with R0 (n3) and V (nc/2 x n3, v_k = ½(x_{2k} − x_{2k+1}))
//   given: then u_{2k,2k+1} = c ± v_k with c = R₀ − R, and y = Bc ± Bv_k, Φu = Φc ± Φv_k take GEMMs
//   over the nc/2 pairs only (half the cost of the two largest ensemble GEMMs). u differs from x − R
//   by the rounding of the stored positions (≤ 1 ulp of R₀); at R = R₀ the members are exactly ±.
//   Inputs
//     X  (nc x n3)  positions x_i (Cartesian Å)          R  (n3)       centroids
//     R0 (n3)       generating centroids (paired & 2)     V (nc/2 x n3) v_k = ½(x_{2k} − x_{2k+1}) (paired & 2)
//     MASS (n3)     per-component masses (amu)            POLAR (m x n3) e_μ (rows)
//     AMP (m)       A_μ of the current modes               AMP0 (m)     A⁽⁰⁾_μ of the generating modes
//     OMEGA2 (m)    ω²_μ                                   PHI (n3 x n3) current Φ (symmetric)
//     XI (nc x m)   generating normal coordinates ξ_i      E (nc)       energies V_i
//     F  (nc x n3)  forces f_i                             S (nc x 9)   stresses σ_i, or 0 (none)
//   Workspace (all overwritten; contents afterwards are documented because the free-energy
//   Hessian reuses them)
//     U  (nc x n3)  scratch afterwards                     Y (nc x m)   y_iμ in the current modes
//     DF (nc x n3)  δf_i = f_i + Φ u_i                     WK (nc x m)  scratch
//     B  (m x n3)   afterwards B∘B, with B_μa = √m_a e_μa / A_μ
//     Z  (m x n3)   ⟨y_μ δf_b⟩                              Z1 (m x n3) afterwards err²(⟨y_μ δf_b⟩)
//     Z2 (m x n3)   scratch                                DV (nc)      δV_i = V_i − ½ u_iᵀΦu_i
//     TQ (nc x 9)   Σ_atoms δf_{i,aα} u_{i,aβ}
//   Outputs
//     W (nc)        weights w_i, max-normalised (all exactly 1 when exact != 0: the current
//                   parameters are the generating ones)
//     SCAL (16)     0 Σw, 1 Σw², 2 N_eff = (Σw)²/Σw², 3 ⟨δV⟩, 4 err⟨δV⟩, 5 max ln w (before the
//                   shift), 6 Σ_μ ln(A⁽⁰⁾_μ/A_μ), 7 ⟨V_h⟩, 8 min w, 9 number of independent units
//                   the errors were computed over (nc/2 pairs, or nc)
//     GR, GRERR (n3)  g_R = −⟨δf⟩ and its element-wise error
//     G, GERR (n3 x n3)  G = sym(Bᵀ Z) = sym(M^{1/2} Σ_μ e_μ (1/A_μ) ⟨y_μ δfᵀ⟩) and its element-wise
//                   error: variances propagated through Bᵀ, then err(sym)_ab = ½(err_ab + err_ba)
//     ION, IONERR (9)  ionic pressure (1/Ω)[Σ_a (ΦC)_{aα,aβ} − ⟨Σ_a δf_aα u_aβ⟩] (eV/Å³); the harmonic
//                   part Σ_μ A²_μ ω²_μ Σ_a e_μ,aα e_μ,aβ is analytic, only the δf part is sampled
//     P, PERR (9)   total pressure tensor ⟨−σ⟩ + ionic (only when S != 0), error of the combined
//                   per-configuration value −σ_i − TQ_i/Ω (correlation of the two terms included)
//   Weighted averages ⟨O⟩ = Σ w O / Σ w.
//   Errors: the two members of an antithetic pair are not independent (quantities odd in u are
//   anti-correlated, even ones positively correlated), so the independent units are the pairs.
//   With r_k = Σ_{i∈k} w_i O_i, s_k = Σ_{i∈k} w_i, R_k = r_k/s_k the ratio estimator over the K =
//   nc/2 pairs (physics.md 5.4, second form, applied to pair sums) gives
//     err² = (1/K) mean_k(s_k²(R_k − ⟨O⟩)²)/s̄² = Σ_k (Σ_{i∈k} w_i(O_i − ⟨O⟩))² / (Σw)²,
//   i.e. the per-configuration formula Σ_i w_i²(O_i − ⟨O⟩)²/(Σw)² with the centred weighted terms
//   of the two pair members added before squaring. paired = 0: units are single configurations.
//   Status: 0 ok, 1 NaN/Inf in energies, forces or stresses, 4 bad argument.
import { dgemm } from "../linalg/gemm";
import { finiteVec } from "../linalg/common";

export const SA_X: i32 = 0;
export const SA_R: i32 = 1;
export const SA_MASS: i32 = 2;
export const SA_POLAR: i32 = 3;
export const SA_AMP: i32 = 4;
export const SA_AMP0: i32 = 5;
export const SA_OMEGA2: i32 = 6;
export const SA_PHI: i32 = 7;
export const SA_XI: i32 = 8;
export const SA_E: i32 = 9;
export const SA_F: i32 = 10;
export const SA_S: i32 = 11;
export const SA_U: i32 = 12;
export const SA_Y: i32 = 13;
export const SA_DF: i32 = 14;
export const SA_WK: i32 = 15;
export const SA_B: i32 = 16;
export const SA_Z: i32 = 17;
export const SA_Z1: i32 = 18;
export const SA_Z2: i32 = 19;
export const SA_DV: i32 = 20;
export const SA_TQ: i32 = 21;
export const SA_W: i32 = 22;
export const SA_SCAL: i32 = 23;
export const SA_GR: i32 = 24;
export const SA_GRERR: i32 = 25;
export const SA_G: i32 = 26;
export const SA_GERR: i32 = 27;
export const SA_ION: i32 = 28;
export const SA_IONERR: i32 = 29;
export const SA_P: i32 = 30;
export const SA_PERR: i32 = 31;
export const SA_R0: i32 = 32;
export const SA_V: i32 = 33;
export const SA_SLOTS: i32 = 34;

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
@inline function ptr(t: usize, slot: i32): usize {
  return <usize>load<u32>(t + (<usize>slot << 2));
}

export function ssAverages(nc: i32, n3: i32, m: i32, exact: i32, volume: f64, t: usize, paired: i32): i32 {
  if (nc <= 0 || n3 <= 0 || m <= 0 || m > n3 || !(volume > 0)) return 4;
  if (paired != 0 && (nc & 1) != 0) return 4;
  if ((paired & 2) != 0 && (paired & 1) == 0) return 4;
  // error units: pairs (2k, 2k+1) (us = 2) or single configurations (us = 1)
  const us: i32 = (paired & 1) != 0 ? 2 : 1;
  // antithetic positions: ensemble GEMMs over the nc/2 pairs
  const pp = (paired & 2) != 0;
  const kp: i32 = nc >> 1;
  const nk: i32 = nc / us;
  const X = ptr(t, SA_X), R = ptr(t, SA_R), MASS = ptr(t, SA_MASS), POLAR = ptr(t, SA_POLAR);
  const AMP = ptr(t, SA_AMP), AMP0 = ptr(t, SA_AMP0), OMEGA2 = ptr(t, SA_OMEGA2), PHI = ptr(t, SA_PHI);
  const XI = ptr(t, SA_XI), E = ptr(t, SA_E), F = ptr(t, SA_F), S = ptr(t, SA_S);
  const U = ptr(t, SA_U), Y = ptr(t, SA_Y), DF = ptr(t, SA_DF), WK = ptr(t, SA_WK), B = ptr(t, SA_B);
  const Z = ptr(t, SA_Z), Z1 = ptr(t, SA_Z1), Z2 = ptr(t, SA_Z2), DV = ptr(t, SA_DV), TQ = ptr(t, SA_TQ);
  const W = ptr(t, SA_W), SCAL = ptr(t, SA_SCAL), GR = ptr(t, SA_GR), GRERR = ptr(t, SA_GRERR);
  const G = ptr(t, SA_G), GERR = ptr(t, SA_GERR), ION = ptr(t, SA_ION), IONERR = ptr(t, SA_IONERR);
  const P = ptr(t, SA_P), PERR = ptr(t, SA_PERR);
  const R0 = pp ? ptr(t, SA_R0) : 0, V = pp ? ptr(t, SA_V) : 0;
  if (!finiteVec(E, nc) || !finiteVec(F, nc * n3)) return 1;
  if (S != 0 && !finiteVec(S, nc * 9)) return 1;
  const nn = nc * n3;

  // 1. u_i = x_i − R (antithetic positions: u_{2k,2k+1} = c ± v_k, c = R₀ − R)
  const cv: usize = pp ? heap.alloc(<usize>(2 * n3 + m) << 3) : 0;
  const YV: usize = pp ? heap.alloc(<usize>(kp * m) << 3) : 0;
  if (pp) {
    for (let a = 0; a < n3; a++) st(cv, a, ld(R0, a) - ld(R, a));
    for (let p = 0; p < kp; p++) {
      const vr = V + (<usize>(p * n3) << 3), ua = U + (<usize>(2 * p * n3) << 3), ub = ua + (<usize>n3 << 3);
      for (let a = 0; a < n3; a++) {
        const c = ld(cv, a), v = ld(vr, a);
        st(ua, a, c + v);
        st(ub, a, c - v);
      }
    }
  } else {
    for (let i = 0; i < nc; i++) {
      const xr = X + (<usize>(i * n3) << 3), ur = U + (<usize>(i * n3) << 3);
      for (let a = 0; a < n3; a++) st(ur, a, ld(xr, a) - ld(R, a));
    }
  }
  // 2. B_μa = √m_a e_μa / A_μ ;  Y = U Bᵀ
  for (let mu = 0; mu < m; mu++) {
    const ia = 1.0 / ld(AMP, mu);
    for (let a = 0; a < n3; a++) st(B, mu * n3 + a, ld(POLAR, mu * n3 + a) * Math.sqrt(ld(MASS, a)) * ia);
  }
  if (pp) {
    // Y_{2k,2k+1} = Bc ± B v_k: yv_k = B v_k for the pairs into YV (kp x m), c_y = Bc into cv[n3 ..)
    dgemm(0, 1, kp, m, n3, 1.0, V, n3, B, n3, 0.0, YV, m);
    const bc = cv + (<usize>n3 << 3);
    for (let mu = 0; mu < m; mu++) {
      const br = B + (<usize>(mu * n3) << 3);
      let s: f64 = 0;
      for (let a = 0; a < n3; a++) s += ld(br, a) * ld(cv, a);
      st(bc, mu, s);
    }
    for (let p = 0; p < kp; p++) {
      const wr = YV + (<usize>(p * m) << 3), ya = Y + (<usize>(2 * p * m) << 3), yb = ya + (<usize>m << 3);
      for (let mu = 0; mu < m; mu++) {
        const c = ld(bc, mu), v = ld(wr, mu);
        st(ya, mu, c + v);
        st(yb, mu, c - v);
      }
    }
  } else {
    dgemm(0, 1, nc, m, n3, 1.0, U, n3, B, n3, 0.0, Y, m);
  }

  // 3. weights (physics.md 5.4), in log space, max-subtracted
  let lnPref: f64 = 0;
  for (let mu = 0; mu < m; mu++) lnPref += Math.log(ld(AMP0, mu) / ld(AMP, mu));
  let lmax: f64 = -Infinity;
  if (exact != 0) {
    for (let i = 0; i < nc; i++) st(W, i, 1.0);
    lmax = 0;
  } else {
    for (let i = 0; i < nc; i++) {
      let yy: f64 = 0, xx: f64 = 0;
      const yr = Y + (<usize>(i * m) << 3), xr = XI + (<usize>(i * m) << 3);
      for (let mu = 0; mu < m; mu++) {
        const y = ld(yr, mu), x = ld(xr, mu);
        yy += y * y;
        xx += x * x;
      }
      const lw = lnPref - 0.5 * yy + 0.5 * xx;
      st(W, i, lw);
      if (lw > lmax) lmax = lw;
    }
    for (let i = 0; i < nc; i++) st(W, i, Math.exp(ld(W, i) - lmax));
  }
  let sw: f64 = 0, sw2: f64 = 0, wmin: f64 = Infinity;
  for (let i = 0; i < nc; i++) {
    const w = ld(W, i);
    sw += w;
    sw2 += w * w;
    if (w < wmin) wmin = w;
  }
  const isw = 1.0 / sw, isw2 = isw * isw;

  // 4. harmonic reference: DF = U Φ (Φ symmetric, rows are Φ u_i), δV, then DF ← f + Φu
  if (pp) {
    // rows Φc ± Φv_k: v_kᵀΦ for the pairs into WK (kp x n3 ≤ nc x m), cᵀΦ into cv[n3 + m ..)
    dgemm(0, 0, kp, n3, n3, 1.0, V, n3, PHI, n3, 0.0, WK, n3);
    const pc = cv + (<usize>(n3 + m) << 3);
    for (let b = 0; b < n3; b++) st(pc, b, 0);
    for (let a = 0; a < n3; a++) {
      const c = ld(cv, a), pr = PHI + (<usize>(a * n3) << 3);
      for (let b = 0; b < n3; b++) st(pc, b, ld(pc, b) + c * ld(pr, b));
    }
    for (let p = 0; p < kp; p++) {
      const wr = WK + (<usize>(p * n3) << 3), da = DF + (<usize>(2 * p * n3) << 3), db = da + (<usize>n3 << 3);
      for (let b = 0; b < n3; b++) {
        const c = ld(pc, b), v = ld(wr, b);
        st(da, b, c + v);
        st(db, b, c - v);
      }
    }
  } else {
    dgemm(0, 0, nc, n3, n3, 1.0, U, n3, PHI, n3, 0.0, DF, n3);
  }
  let vh: f64 = 0;
  for (let i = 0; i < nc; i++) {
    const ur = U + (<usize>(i * n3) << 3), pr = DF + (<usize>(i * n3) << 3), fr = F + (<usize>(i * n3) << 3);
    let e: f64 = 0;
    for (let a = 0; a < n3; a++) e += ld(ur, a) * ld(pr, a);
    const h = 0.5 * e;
    vh += ld(W, i) * h;
    st(DV, i, ld(E, i) - h);
    for (let a = 0; a < n3; a++) st(pr, a, ld(fr, a) + ld(pr, a));
  }
  vh *= isw;
  let dvm: f64 = 0;
  for (let i = 0; i < nc; i++) dvm += ld(W, i) * ld(DV, i);
  dvm *= isw;
  let dve: f64 = 0;
  for (let i = 0; i < nc; i += us) {
    let d = ld(W, i) * (ld(DV, i) - dvm);
    if (us == 2) d += ld(W, i + 1) * (ld(DV, i + 1) - dvm);
    dve += d * d;
  }
  dve = Math.sqrt(dve * isw2);

  // 5. ionic pressure: TQ_i = Σ_atoms δf_aα u_aβ ; harmonic part analytic
  for (let i = 0; i < nc; i++) {
    const ur = U + (<usize>(i * n3) << 3), fr = DF + (<usize>(i * n3) << 3), q = TQ + (<usize>(i * 9) << 3);
    for (let k = 0; k < 9; k++) st(q, k, 0);
    for (let a = 0; a < n3; a += 3) {
      for (let al = 0; al < 3; al++) {
        const f = ld(fr, a + al);
        for (let be = 0; be < 3; be++) st(q, 3 * al + be, ld(q, 3 * al + be) + f * ld(ur, a + be));
      }
    }
  }
  const iv = 1.0 / volume;
  for (let k = 0; k < 9; k++) {
    const al = k / 3, be = k % 3;
    let h: f64 = 0;
    for (let mu = 0; mu < m; mu++) {
      const a2w2 = ld(AMP, mu) * ld(AMP, mu) * ld(OMEGA2, mu);
      let s: f64 = 0;
      for (let a = 0; a < n3; a += 3) s += ld(POLAR, mu * n3 + a + al) * ld(POLAR, mu * n3 + a + be);
      h += a2w2 * s;
    }
    let mq: f64 = 0;
    for (let i = 0; i < nc; i++) mq += ld(W, i) * ld(TQ, 9 * i + k);
    mq *= isw;
    let eq: f64 = 0;
    for (let i = 0; i < nc; i += us) {
      let d = ld(W, i) * (ld(TQ, 9 * i + k) - mq);
      if (us == 2) d += ld(W, i + 1) * (ld(TQ, 9 * i + 9 + k) - mq);
      eq += d * d;
    }
    st(ION, k, (h - mq) * iv);
    st(IONERR, k, Math.sqrt(eq * isw2) * iv);
    if (S != 0) {
      let mp: f64 = 0;
      for (let i = 0; i < nc; i++) mp += ld(W, i) * (-ld(S, 9 * i + k) - ld(TQ, 9 * i + k) * iv);
      mp *= isw;
      let ep: f64 = 0;
      for (let i = 0; i < nc; i += us) {
        let d = ld(W, i) * (-ld(S, 9 * i + k) - ld(TQ, 9 * i + k) * iv - mp);
        if (us == 2) d += ld(W, i + 1) * (-ld(S, 9 * i + 9 + k) - ld(TQ, 9 * i + 9 + k) * iv - mp);
        ep += d * d;
      }
      st(P, k, mp + h * iv);
      st(PERR, k, Math.sqrt(ep * isw2));
    }
  }

  // 6. centroid gradient g_R = −⟨δf⟩ with element-wise errors
  for (let a = 0; a < n3; a++) st(GR, a, 0);
  for (let i = 0; i < nc; i++) {
    const w = ld(W, i), fr = DF + (<usize>(i * n3) << 3);
    for (let a = 0; a < n3; a++) st(GR, a, ld(GR, a) + w * ld(fr, a));
  }
  for (let a = 0; a < n3; a++) st(GR, a, ld(GR, a) * isw);
  for (let a = 0; a < n3; a++) st(GRERR, a, 0);
  if (us == 2) {
    for (let i = 0; i < nc; i += 2) {
      const w = ld(W, i), w1 = ld(W, i + 1), fr = DF + (<usize>(i * n3) << 3), fr1 = DF + (<usize>((i + 1) * n3) << 3);
      for (let a = 0; a < n3; a++) {
        const g = ld(GR, a);
        const d = w * (ld(fr, a) - g) + w1 * (ld(fr1, a) - g);
        st(GRERR, a, ld(GRERR, a) + d * d);
      }
    }
  } else {
    for (let i = 0; i < nc; i++) {
      const w = ld(W, i), fr = DF + (<usize>(i * n3) << 3);
      for (let a = 0; a < n3; a++) {
        const d = w * (ld(fr, a) - ld(GR, a));
        st(GRERR, a, ld(GRERR, a) + d * d);
      }
    }
  }
  for (let a = 0; a < n3; a++) {
    st(GR, a, -ld(GR, a));
    st(GRERR, a, Math.sqrt(ld(GRERR, a) * isw2));
  }

  // 7. Z = ⟨y δfᵀ⟩ and its element-wise error. With P_k = Σ_{i∈k} w_i y_i δf_iᵀ (units k) and
  //    s_k = Σ_{i∈k} w_i:  Σ_k (P_k − Z s_k)² = Σ_k P_k² − 2 Z Σ_k s_k P_k + Z² Σ_k s_k²,
  //    every sum a GEMM over the ensemble (element-wise squares of rows), never a K×m×n3 array.
  let ss2: f64 = 0; // Σ_k s_k²
  if (pp) {
    // Antithetic positions: y_{a,b} = c_y ± yv_k (a, b = 2k, 2k+1; c_y = Bc the same for every row),
    // so with q = δf, e_k = w_a q_a + w_b q_b, d_k = w_a q_a − w_b q_b:
    //   P_k = c_y e_kᵀ + yv_k d_kᵀ,   Σ_k P_k = c_y (Σe)ᵀ + Σ_k yv_k d_kᵀ,
    //   Σ_k s_k P_k = c_y (Σ s e)ᵀ + Σ_k (s_k yv_k) d_kᵀ,
    //   Σ_k P_k² = c_y² (Σ e²)ᵀ + Σ_k yv_k² (d_k²)ᵀ + 2 c_y ∘ Σ_k yv_k (e_k d_k)ᵀ   (element-wise in μ, b):
    // four GEMMs over the nc/2 pairs (instead of 3.5 nc rows). At R = R₀ (c_y = 0) only the yv terms
    // remain: no difference of large terms is introduced.
    const vs = heap.alloc(<usize>(3 * n3) << 3); // Σe, Σ s e, Σ e²
    memory.fill(vs, 0, <usize>(3 * n3) << 3);
    const vs1 = vs + (<usize>n3 << 3), vs2 = vs + (<usize>(2 * n3) << 3);
    const UD2 = U + (<usize>(kp * n3) << 3); // d² in the second half of U; d in the first; e∘d in WK
    for (let p = 0; p < kp; p++) {
      const wa = ld(W, 2 * p), wb = ld(W, 2 * p + 1), sk = wa + wb;
      ss2 += sk * sk;
      const qa = DF + (<usize>(2 * p * n3) << 3), qb = qa + (<usize>n3 << 3);
      const dr = U + (<usize>(p * n3) << 3), d2r = UD2 + (<usize>(p * n3) << 3), edr = WK + (<usize>(p * n3) << 3);
      for (let b = 0; b < n3; b++) {
        const x = wa * ld(qa, b), y = wb * ld(qb, b);
        const e = x + y, d = x - y;
        st(dr, b, d);
        st(d2r, b, d * d);
        st(edr, b, e * d);
        st(vs, b, ld(vs, b) + e);
        st(vs1, b, ld(vs1, b) + sk * e);
        st(vs2, b, ld(vs2, b) + e * e);
      }
    }
    dgemm(1, 0, m, n3, kp, 1.0, YV, m, U, n3, 0.0, Z, n3);
    const LS = heap.alloc(<usize>(kp * m) << 3);
    for (let p = 0; p < kp; p++) {
      const sk = ld(W, 2 * p) + ld(W, 2 * p + 1);
      const src = YV + (<usize>(p * m) << 3), dst = LS + (<usize>(p * m) << 3);
      for (let mu = 0; mu < m; mu++) st(dst, mu, sk * ld(src, mu));
    }
    dgemm(1, 0, m, n3, kp, 1.0, LS, m, U, n3, 0.0, Z1, n3);
    for (let q = 0; q < kp * m; q++) {
      const v = ld(YV, q);
      st(LS, q, v * v);
    }
    dgemm(1, 0, m, n3, kp, 1.0, LS, m, UD2, n3, 0.0, Z2, n3);
    heap.free(LS);
    // Σ_k yv_k (e_k d_k)ᵀ into GERR (m x n3 ≤ n3 x n3, written in step 8)
    dgemm(1, 0, m, n3, kp, 1.0, YV, m, WK, n3, 0.0, GERR, n3);
    const cy = cv + (<usize>n3 << 3);
    for (let mu = 0; mu < m; mu++) {
      const c = ld(cy, mu);
      const zr = Z + (<usize>(mu * n3) << 3), z1r = Z1 + (<usize>(mu * n3) << 3), z2r = Z2 + (<usize>(mu * n3) << 3), tr = GERR + (<usize>(mu * n3) << 3);
      for (let b = 0; b < n3; b++) {
        st(zr, b, (ld(zr, b) + c * ld(vs, b)) * isw);
        st(z1r, b, ld(z1r, b) + c * ld(vs1, b));
        st(z2r, b, ld(z2r, b) + c * c * ld(vs2, b) + 2.0 * c * ld(tr, b));
      }
    }
    heap.free(vs);
  } else {
  for (let i = 0; i < nc; i++) {
    const w = ld(W, i);
    for (let mu = 0; mu < m; mu++) st(WK, i * m + mu, w * ld(Y, i * m + mu));
  }
  dgemm(1, 0, m, n3, nc, isw, WK, m, DF, n3, 0.0, Z, n3);
  if (us == 1) {
    // single configurations: Σ w² y δf, Σ w² y² δf², Σ w²
    for (let i = 0; i < nc; i++) {
      const w = ld(W, i);
      for (let mu = 0; mu < m; mu++) st(WK, i * m + mu, w * ld(WK, i * m + mu));
    }
    dgemm(1, 0, m, n3, nc, 1.0, WK, m, DF, n3, 0.0, Z1, n3);
    for (let i = 0; i < nc; i++) {
      for (let mu = 0; mu < m; mu++) st(WK, i * m + mu, ld(WK, i * m + mu) * ld(Y, i * m + mu));
    }
    for (let q = 0; q < nn; q++) {
      const d = ld(DF, q);
      st(U, q, d * d);
    }
    dgemm(1, 0, m, n3, nc, 1.0, WK, m, U, n3, 0.0, Z2, n3);
    ss2 = sw2;
  } else {
    // pairs (a, b) = (2k, 2k+1), p = w y, q = δf: P_k = p_a q_aᵀ + p_b q_bᵀ (element-wise in μ, b)
    //   = ½(σ Σ + δ Δ) with σ = p_a + p_b, δ = p_a − p_b, Σ = q_a + q_b, Δ = q_a − q_b, so
    //   P_k² = ¼(σ²Σ² + δ²Δ²) + ½ σδ ΣΔ. For a quantity odd (even) in u the pair sums σΣ
    //   (differences δΔ) vanish term by term: no cancellation between large GEMM results.
    const kk = nc >> 1;
    // Σ_k s_k P_k: rows s_k w_i y_i
    for (let i = 0; i < nc; i++) {
      const sk = ld(W, i & ~1) + ld(W, i | 1);
      ss2 += (i & 1) == 0 ? sk * sk : 0.0;
      for (let mu = 0; mu < m; mu++) st(WK, i * m + mu, sk * ld(WK, i * m + mu));
    }
    dgemm(1, 0, m, n3, nc, 1.0, WK, m, DF, n3, 0.0, Z1, n3);
    // cross term ½ Σ_k (σδ)(ΣΔ) over K rows: σδ = p_a² − p_b², ΣΔ = q_a² − q_b²
    for (let p = 0; p < kk; p++) {
      const a = 2 * p, wa = ld(W, a), wb = ld(W, a + 1);
      for (let mu = 0; mu < m; mu++) {
        const pa = wa * ld(Y, a * m + mu), pb = wb * ld(Y, (a + 1) * m + mu);
        st(WK, p * m + mu, (pa + pb) * (pa - pb));
      }
      for (let b = 0; b < n3; b++) {
        const qa = ld(DF, a * n3 + b), qb = ld(DF, (a + 1) * n3 + b);
        st(U, p * n3 + b, (qa + qb) * (qa - qb));
      }
    }
    dgemm(1, 0, m, n3, kk, 0.5, WK, m, U, n3, 0.0, Z2, n3);
    // ¼ Σ_k (σ²Σ² + δ²Δ²) as one GEMM over 2K rows: rows k = σ_k², Σ_k²; rows K + k = δ_k², Δ_k²
    for (let p = 0; p < kk; p++) {
      const a = 2 * p, wa = ld(W, a), wb = ld(W, a + 1);
      for (let mu = 0; mu < m; mu++) {
        const pa = wa * ld(Y, a * m + mu), pb = wb * ld(Y, (a + 1) * m + mu);
        const sg = pa + pb, dl = pa - pb;
        st(WK, p * m + mu, sg * sg);
        st(WK, (kk + p) * m + mu, dl * dl);
      }
      for (let b = 0; b < n3; b++) {
        const qa = ld(DF, a * n3 + b), qb = ld(DF, (a + 1) * n3 + b);
        const sg = qa + qb, dl = qa - qb;
        st(U, p * n3 + b, sg * sg);
        st(U, (kk + p) * n3 + b, dl * dl);
      }
    }
    dgemm(1, 0, m, n3, nc, 0.25, WK, m, U, n3, 1.0, Z2, n3);
  }
  }
  if (pp) {
    heap.free(YV);
    heap.free(cv);
  }
  for (let q = 0; q < m * n3; q++) {
    const z = ld(Z, q);
    const v = (ld(Z2, q) - 2.0 * z * ld(Z1, q) + z * z * ss2) * isw2;
    st(Z1, q, v > 0 ? v : 0.0);
  }

  // 8. G = sym(Bᵀ Z), variances through B∘B
  dgemm(1, 0, n3, n3, m, 1.0, B, n3, Z, n3, 0.0, G, n3);
  for (let q = 0; q < m * n3; q++) {
    const b = ld(B, q);
    st(B, q, b * b);
  }
  dgemm(1, 0, n3, n3, m, 1.0, B, n3, Z1, n3, 0.0, GERR, n3);
  for (let a = 0; a < n3; a++) {
    st(GERR, a * n3 + a, Math.sqrt(ld(GERR, a * n3 + a)));
    for (let b = 0; b < a; b++) {
      const g = 0.5 * (ld(G, a * n3 + b) + ld(G, b * n3 + a));
      st(G, a * n3 + b, g);
      st(G, b * n3 + a, g);
      const e = 0.5 * (Math.sqrt(ld(GERR, a * n3 + b)) + Math.sqrt(ld(GERR, b * n3 + a)));
      st(GERR, a * n3 + b, e);
      st(GERR, b * n3 + a, e);
    }
  }

  st(SCAL, 0, sw);
  st(SCAL, 1, sw2);
  st(SCAL, 2, sw * sw / sw2);
  st(SCAL, 3, dvm);
  st(SCAL, 4, dve);
  st(SCAL, 5, lmax);
  st(SCAL, 6, lnPref);
  st(SCAL, 7, vh);
  st(SCAL, 8, wmin);
  st(SCAL, 9, <f64>nk);
  return 0;
}
