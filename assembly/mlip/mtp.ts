// Moment-tensor potential descriptors (physics.md 6.1-6.4): Chebyshev radial basis with the
// (R_cut − r)² factor, species moments, the basis DAG evaluated forward and differentiated by
// reverse accumulation. Two entry points on a full neighbour list (assembly/neighbors/celllist.ts):
//   mtp_evaluate  energy, forces, stress for given parameters θ (θ contracted into the reverse pass)
//   mtp_design    design rows: ∂E/∂θ, ∂f/∂θ (3N rows), ∂σ/∂θ (6 rows), ∂E_i/∂θ (N rows)
//
// The basis is described by an i32 blob and an f64 blob written by src/mlip/mtp.ts:
//   i32 header (H_* below) + tables; f64: term coefficients, then 3 gradient factors per monomial.
// Leaves: channel κ (0 = all neighbours, κ ≥ 1 = neighbours of species κ) × local leaf
//   loc = leafOff[μ] + c, node κ·lps + loc; c the graded monomial index (degree ≤ nuMax[μ]).
// θ: [nS per-species constants][nS blocks of nBasis, by central species].
//
// Per atom: neighbours within R_cut are gathered into records of REC_BASE + 2·nMu + nc f64:
//   r̂x r̂y r̂z r e s | Q_0..Q_{nMu−1} | dQ_0/dr.. | monomials r̂^c (c < nc)
// then species moments S[s][loc] = Σ_{j of species s} Q_μ(r_j) r̂_j^c, leaves from S, the DAG
// forward, and the adjoint back to the neighbours:
//   ∂E/∂r_j = G_rad r̂ + (G − (G·r̂) r̂)/r,  G_rad = Σ A Q'_μ m_c,  G_k = Σ A Q_μ ∂m_c/∂r̂_k.
// The trailing scalar-only radial functions (the pair block, see pairStart) are handled as short
// vectors; moments and gradients take the neighbours of one species two at a time.

import { ST_OK, ST_BAD_ARG, ld, st, ldi, zeroF64, finish } from "../potentials/common";

/** A pair closer than R_min: info = [atom i, atom j, distance]. */
export const ST_RMIN: i32 = 9;

const H_NS = 0, H_NMU = 1, H_NC = 2, H_LPS = 3, H_NNODES = 4, H_NTERMS = 5, H_NBASIS = 6;
const H_NCMU = 7, H_LEAFOFF = 8, H_PARENT = 9, H_AXIS = 10, H_GRADP = 11, H_TERMS = 12, H_OUT = 13;
const H_CONET = 14, H_CONETI = 15, H_CONEL = 16, H_CONELI = 17, H_LEAFMU = 18, H_LEAFC = 19;
export const MTP_HEADER: i32 = 20;

const REC_BASE: i32 = 6;

@inline function hdr(b: usize, k: i32): i32 { return ldi(b, k); }
@inline function tab(b: usize, k: i32): usize { return b + (<usize>ldi(b, k) << 2); }

/**
 * First μ of the pair block: the trailing radial functions whose moments are scalars only
 * (nuMax = 0, one leaf each, e.g. the two-body extras of src/mlip/mtp-basis.ts). Their leaves and
 * adjoint-table entries are contiguous, so they are summed and differentiated as short vectors.
 */
function pairStart(bi: usize): i32 {
  const ncMu = tab(bi, H_NCMU);
  let p0 = hdr(bi, H_NMU);
  while (p0 > 0 && ldi(ncMu, p0 - 1) == 1) p0--;
  return p0;
}

/** Fill the neighbour records of atom i; returns the count, or −1 − (index of the offending neighbour) if closer than rmin. */
function gather(
  bi: usize, i: i32, extPos: usize, owner: usize, types: usize, first: usize, nbr: usize,
  rcut: f64, rmin: f64, rec: usize, stride: i32, info: usize,
): i32 {
  const nMu = hdr(bi, H_NMU), nc = hdr(bi, H_NC);
  let nuTop = 0;
  while ((nuTop + 1) * (nuTop + 2) * (nuTop + 3) / 6 < nc) nuTop++;
  const rc2 = rcut * rcut;
  const xi = ld(extPos, 3 * i), yi = ld(extPos, 3 * i + 1), zi = ld(extPos, 3 * i + 2);
  const iw = 1.0 / (rcut - rmin);
  let m = 0;
  const qEnd = ldi(first, i + 1);
  for (let q = ldi(first, i); q < qEnd; q++) {
    const e = ldi(nbr, q);
    const dx = ld(extPos, 3 * e) - xi, dy = ld(extPos, 3 * e + 1) - yi, dz = ld(extPos, 3 * e + 2) - zi;
    const r2 = dx * dx + dy * dy + dz * dz;
    if (r2 >= rc2) continue;
    const r = Math.sqrt(r2);
    if (r < rmin) {
      st(info, 0, <f64>i); st(info, 1, <f64>ldi(owner, e)); st(info, 2, r);
      return -1;
    }
    const p = rec + (<usize>(m * stride) << 3);
    const ir = 1.0 / r;
    const ux = dx * ir, uy = dy * ir, uz = dz * ir;
    store<f64>(p, ux); store<f64>(p, uy, 8); store<f64>(p, uz, 16); store<f64>(p, r, 24);
    store<f64>(p, <f64>e, 32); store<f64>(p, <f64>ldi(types, ldi(owner, e)), 40);
    // Chebyshev radial functions and their derivatives
    const s = (2.0 * r - rmin - rcut) * iw;
    const d = rcut - r, d2 = d * d;
    const pq = p + (<usize>REC_BASE << 3);
    const pd = pq + (<usize>nMu << 3);
    // T_0 = 1, T_1 = s, T_{μ+1} = 2s T_μ − T_{μ−1}; Q_μ = T_μ d², Q'_μ = T'_μ (2/w) d² − 2 T_μ d
    const dd = 2.0 * iw * d2, md = -2.0 * d, s2 = 2.0 * s;
    store<f64>(pq, d2);
    store<f64>(pd, md);
    let t0: f64 = 1.0, t1: f64 = s, dt0: f64 = 0.0, dt1: f64 = 1.0;
    if (nMu > 1) {
      store<f64>(pq, s * d2, 8);
      store<f64>(pd, dd + s * md, 8);
    }
    for (let mu = 2; mu < nMu; mu++) {
      const t = s2 * t1 - t0, dt = 2.0 * t1 + s2 * dt1 - dt0;
      t0 = t1; t1 = t; dt0 = dt1; dt1 = dt;
      store<f64>(pq + (<usize>mu << 3), t * d2);
      store<f64>(pd + (<usize>mu << 3), dt * dd + t * md);
    }
    // monomials of r̂ in graded order, one degree from the previous: the p ≥ 1 block of degree d
    // is x times all of degree d − 1, then y times the p = 0 block of degree d − 1, then z^d.
    const pm = pd + (<usize>nMu << 3);
    store<f64>(pm, 1.0);
    const xv = f64x2.splat(ux);
    let prev: usize = pm, cur: usize = pm + 8;
    for (let dg = 1; dg <= nuTop; dg++) {
      const np = dg * (dg + 1) / 2; // monomials of degree dg − 1
      let c = 0;
      for (; c + 1 < np; c += 2) v128.store(cur + (<usize>c << 3), f64x2.mul(xv, v128.load(prev + (<usize>c << 3))));
      if (c < np) st(cur, c, ux * ld(prev, c));
      const p0 = prev + (<usize>(np - dg) << 3); // the dg monomials of degree dg − 1 with p = 0
      for (let q = 0; q < dg; q++) st(cur, np + q, uy * ld(p0, q));
      st(cur, np + dg, uz * ld(p0, dg - 1));
      prev = cur;
      cur += <usize>(np + dg + 1) << 3;
    }
    m++;
  }
  return m;
}

/**
 * Species moments of the m gathered neighbours, then the leaves of the DAG into val. The neighbours
 * of one species are taken two at a time (one load and store of the moment per two neighbours).
 */
function leaves(bi: usize, m: i32, rec: usize, stride: i32, S: usize, val: usize, p0: i32): void {
  const nS = hdr(bi, H_NS), lps = hdr(bi, H_LPS);
  zeroF64(S, nS * lps);
  for (let s = 0; s < nS; s++) {
    const base = S + (<usize>(s * lps) << 3);
    let pend: usize = 0; // a record waiting for a partner (records are never at address 0)
    for (let j = 0; j < m; j++) {
      const p = rec + (<usize>(j * stride) << 3);
      if (<i32>load<f64>(p, 40) != s) continue;
      if (pend == 0) { pend = p; continue; }
      addMoments2(bi, pend, p, base, p0);
      pend = 0;
    }
    if (pend != 0) addMoments1(bi, pend, base, p0);
  }
  // channel 0 = all species, channel κ ≥ 1 = species κ
  for (let l = 0; l < lps; l++) {
    let a: f64 = 0.0;
    for (let s = 0; s < nS; s++) a += ld(S, s * lps + l);
    st(val, l, a);
  }
  for (let q = lps; q < nS * lps; q++) st(val, q, ld(S, q));
}

/** base[leaf] += Q_μ m_c for one neighbour record p. */
function addMoments1(bi: usize, p: usize, base: usize, p0: i32): void {
  const nMu = hdr(bi, H_NMU);
  const ncMu = tab(bi, H_NCMU), leafOff = tab(bi, H_LEAFOFF);
  const pq = p + (<usize>REC_BASE << 3);
  const pm = pq + (<usize>(2 * nMu) << 3);
  // pair block: base[leafOff[p0] + t] += Q_{p0+t}
  if (p0 < nMu) {
    const nPair = nMu - p0;
    const dst = base + (<usize>ldi(leafOff, p0) << 3), src = pq + (<usize>p0 << 3);
    let t = 0;
    for (; t + 1 < nPair; t += 2) {
      const o = <usize>t << 3;
      v128.store(dst + o, f64x2.add(v128.load(dst + o), v128.load(src + o)));
    }
    if (t < nPair) st(dst, t, ld(dst, t) + ld(src, t));
  }
  for (let mu = 0; mu < p0; mu++) {
    const q = load<f64>(pq + (<usize>mu << 3));
    const qv = f64x2.splat(q);
    const ncm = ldi(ncMu, mu);
    const dst = base + (<usize>ldi(leafOff, mu) << 3);
    let c = 0;
    // leafOff may be odd: unaligned v128 access is allowed in WebAssembly
    for (; c + 1 < ncm; c += 2) {
      const o = <usize>c << 3;
      v128.store(dst + o, f64x2.add(v128.load(dst + o), f64x2.mul(qv, v128.load(pm + o))));
    }
    if (c < ncm) st(dst, c, ld(dst, c) + q * ld(pm, c));
  }
}

/** addMoments1 for two neighbour records a, b of the same species. */
function addMoments2(bi: usize, a: usize, b: usize, base: usize, p0: i32): void {
  const nMu = hdr(bi, H_NMU);
  const ncMu = tab(bi, H_NCMU), leafOff = tab(bi, H_LEAFOFF);
  const qa = a + (<usize>REC_BASE << 3), qb = b + (<usize>REC_BASE << 3);
  const ma = qa + (<usize>(2 * nMu) << 3), mb = qb + (<usize>(2 * nMu) << 3);
  if (p0 < nMu) {
    const nPair = nMu - p0;
    const dst = base + (<usize>ldi(leafOff, p0) << 3), sa = qa + (<usize>p0 << 3), sb = qb + (<usize>p0 << 3);
    let t = 0;
    for (; t + 1 < nPair; t += 2) {
      const o = <usize>t << 3;
      v128.store(dst + o, f64x2.add(v128.load(dst + o), f64x2.add(v128.load(sa + o), v128.load(sb + o))));
    }
    if (t < nPair) st(dst, t, ld(dst, t) + (ld(sa, t) + ld(sb, t)));
  }
  for (let mu = 0; mu < p0; mu++) {
    const xa = load<f64>(qa + (<usize>mu << 3)), xb = load<f64>(qb + (<usize>mu << 3));
    const va = f64x2.splat(xa), vb = f64x2.splat(xb);
    const ncm = ldi(ncMu, mu);
    const dst = base + (<usize>ldi(leafOff, mu) << 3);
    let c = 0;
    for (; c + 1 < ncm; c += 2) {
      const o = <usize>c << 3;
      const sum = f64x2.add(f64x2.mul(va, v128.load(ma + o)), f64x2.mul(vb, v128.load(mb + o)));
      v128.store(dst + o, f64x2.add(v128.load(dst + o), sum));
    }
    if (c < ncm) st(dst, c, ld(dst, c) + (xa * ld(ma, c) + xb * ld(mb, c)));
  }
}

function forwardDag(bi: usize, bf: usize, val: usize): void {
  const nS = hdr(bi, H_NS), lps = hdr(bi, H_LPS), nNodes = hdr(bi, H_NNODES), nTerms = hdr(bi, H_NTERMS);
  const nl = nS * lps;
  zeroF64(val + (<usize>nl << 3), nNodes - nl);
  const terms = tab(bi, H_TERMS);
  // terms come grouped by target: sum in a register, store when the target changes
  let zc = nTerms > 0 ? load<i32>(terms, 8) : 0;
  let acc: f64 = 0.0;
  for (let t = 0; t < nTerms; t++) {
    const tp = terms + (<usize>(3 * t) << 2);
    const x = load<i32>(tp), y = load<i32>(tp, 4), z = load<i32>(tp, 8);
    if (z != zc) { st(val, zc, acc); acc = 0.0; zc = z; }
    acc += ld(bf, t) * ld(val, x) * ld(val, y);
  }
  if (nTerms > 0) st(val, zc, acc);
}

/** Reverse pass over all terms; adj of the outputs must be set, the rest zero. */
function reverseDag(bi: usize, bf: usize, val: usize, adj: usize): void {
  const nTerms = hdr(bi, H_NTERMS);
  const terms = tab(bi, H_TERMS);
  for (let t = nTerms - 1; t >= 0; t--) {
    const tp = terms + (<usize>(3 * t) << 2);
    const x = load<i32>(tp), y = load<i32>(tp, 4), z = load<i32>(tp, 8);
    const g = ld(bf, t) * ld(adj, z);
    if (g == 0.0) continue;
    st(adj, x, ld(adj, x) + g * ld(val, y));
    st(adj, y, ld(adj, y) + g * ld(val, x));
  }
}

/** Length of the per-species adjoint block W (A, then ∂A/∂r̂_x,y,z tables per μ). */
function wLength(bi: usize): i32 {
  const nMu = hdr(bi, H_NMU), ncMu = tab(bi, H_NCMU);
  let w = 0;
  for (let mu = 0; mu < nMu; mu++) w += ldi(ncMu, mu) + 3 * lowerCount(ldi(ncMu, mu));
  return w;
}

/** ncompUpTo(ν − 1) from ncompUpTo(ν): the monomials one degree lower. */
function lowerCount(nc: i32): i32 {
  let nu = 0;
  while ((nu + 1) * (nu + 2) * (nu + 3) / 6 < nc) nu++;
  return nu * (nu + 1) * (nu + 2) / 6;
}

/**
 * Per-species adjoint tables of one atom: for each μ, A[c] (the adjoint of leaf (μ, c), channel 0
 * plus channel s) and D_k[c'] = Σ_{c = c' + e_k} A[c] · exponent_k(c), so that for a neighbour
 *   G_rad = Σ_μ Q'_μ Σ_c A[c] m_c,   G_k = Σ_μ Q_μ Σ_c' D_k[c'] m_c'   (contiguous dot products).
 */
function adjointTables(bi: usize, bf: usize, adj: usize, W: usize, wl: i32): void {
  const nS = hdr(bi, H_NS), nMu = hdr(bi, H_NMU), lps = hdr(bi, H_LPS), nTerms = hdr(bi, H_NTERMS);
  const ncMu = tab(bi, H_NCMU), leafOff = tab(bi, H_LEAFOFF), gradP = tab(bi, H_GRADP);
  const gf = bf + (<usize>nTerms << 3);
  for (let s = 0; s < nS; s++) {
    let w = W + (<usize>(s * wl) << 3);
    for (let mu = 0; mu < nMu; mu++) {
      const ncm = ldi(ncMu, mu), nd = lowerCount(ncm);
      const lo = ldi(leafOff, mu);
      for (let c = 0; c < ncm; c++) {
        let a = ld(adj, lo + c);
        if (s > 0) a += ld(adj, s * lps + lo + c);
        st(w, c, a);
      }
      const dx = w + (<usize>ncm << 3), dy = dx + (<usize>nd << 3), dz = dy + (<usize>nd << 3);
      zeroF64(dx, 3 * nd);
      for (let c = 1; c < ncm; c++) {
        const a = ld(w, c);
        const gp = gradP + (<usize>(3 * c) << 2);
        const fp = gf + (<usize>(3 * c) << 3);
        const fx = load<f64>(fp), fy = load<f64>(fp, 8), fz = load<f64>(fp, 16);
        if (fx != 0.0) { const q = load<i32>(gp); st(dx, q, ld(dx, q) + a * fx); }
        if (fy != 0.0) { const q = load<i32>(gp, 4); st(dy, q, ld(dy, q) + a * fy); }
        if (fz != 0.0) { const q = load<i32>(gp, 8); st(dz, q, ld(dz, q) + a * fz); }
      }
      w = dz + (<usize>nd << 3);
    }
  }
}

/** ∂E/∂r_j (3 values into g) of neighbour record p from its species' adjoint tables W. */
@inline function neighbourGradient(bi: usize, p: usize, W: usize, g: usize, p0: i32): void {
  const nMu = hdr(bi, H_NMU);
  const ncMu = tab(bi, H_NCMU);
  const pq = p + (<usize>REC_BASE << 3);
  const pd = pq + (<usize>nMu << 3);
  const pm = pd + (<usize>nMu << 3);
  let gr: f64 = 0.0, gx: f64 = 0.0, gy: f64 = 0.0, gz: f64 = 0.0;
  let w = W;
  for (let mu = 0; mu < p0; mu++) {
    const ncm = ldi(ncMu, mu), nd = lowerCount(ncm);
    const dx = w + (<usize>ncm << 3), dy = dx + (<usize>nd << 3), dz = dy + (<usize>nd << 3);
    let vr = f64x2.splat(0.0), vx = f64x2.splat(0.0), vy = f64x2.splat(0.0), vz = f64x2.splat(0.0);
    let c = 0;
    for (; c + 1 < nd; c += 2) {
      const o = <usize>c << 3;
      const m = v128.load(pm + o);
      vr = f64x2.add(vr, f64x2.mul(v128.load(w + o), m));
      vx = f64x2.add(vx, f64x2.mul(v128.load(dx + o), m));
      vy = f64x2.add(vy, f64x2.mul(v128.load(dy + o), m));
      vz = f64x2.add(vz, f64x2.mul(v128.load(dz + o), m));
    }
    let pr = f64x2.extract_lane(vr, 0) + f64x2.extract_lane(vr, 1);
    let px = f64x2.extract_lane(vx, 0) + f64x2.extract_lane(vx, 1);
    let py = f64x2.extract_lane(vy, 0) + f64x2.extract_lane(vy, 1);
    let pz = f64x2.extract_lane(vz, 0) + f64x2.extract_lane(vz, 1);
    if (c < nd) {
      const m = ld(pm, c);
      pr += ld(w, c) * m; px += ld(dx, c) * m; py += ld(dy, c) * m; pz += ld(dz, c) * m;
      c++;
    }
    // the top degree: only the radial part
    vr = f64x2.splat(0.0);
    for (; c + 1 < ncm; c += 2) {
      const o = <usize>c << 3;
      vr = f64x2.add(vr, f64x2.mul(v128.load(w + o), v128.load(pm + o)));
    }
    pr += f64x2.extract_lane(vr, 0) + f64x2.extract_lane(vr, 1);
    if (c < ncm) pr += ld(w, c) * ld(pm, c);
    const q = load<f64>(pq + (<usize>mu << 3)), qd = load<f64>(pd + (<usize>mu << 3));
    gr += qd * pr; gx += q * px; gy += q * py; gz += q * pz;
    w = dz + (<usize>nd << 3);
  }
  // pair block: one adjoint per μ (no angular part), G_rad += Σ_t A_t Q'_{p0+t}
  {
    const nPair = nMu - p0;
    const src = pd + (<usize>p0 << 3);
    let vr = f64x2.splat(0.0);
    let t = 0;
    for (; t + 1 < nPair; t += 2) {
      const o = <usize>t << 3;
      vr = f64x2.add(vr, f64x2.mul(v128.load(w + o), v128.load(src + o)));
    }
    gr += f64x2.extract_lane(vr, 0) + f64x2.extract_lane(vr, 1);
    if (t < nPair) gr += ld(w, t) * ld(src, t);
  }
  const ux = load<f64>(p), uy = load<f64>(p, 8), uz = load<f64>(p, 16), ir = 1.0 / load<f64>(p, 24);
  const gu = gx * ux + gy * uy + gz * uz;
  st(g, 0, gr * ux + (gx - gu * ux) * ir);
  st(g, 1, gr * uy + (gy - gu * uy) * ir);
  st(g, 2, gr * uz + (gz - gu * uz) * ir);
}

/** neighbourGradient for two records a, b of the same species (one pass over W): g[0..2] for a, g[3..5] for b. */
function neighbourGradient2(bi: usize, a: usize, b: usize, W: usize, g: usize, p0: i32): void {
  const nMu = hdr(bi, H_NMU);
  const ncMu = tab(bi, H_NCMU);
  const qa = a + (<usize>REC_BASE << 3), qb = b + (<usize>REC_BASE << 3);
  const da = qa + (<usize>nMu << 3), db = qb + (<usize>nMu << 3);
  const ma = da + (<usize>nMu << 3), mb = db + (<usize>nMu << 3);
  let gra: f64 = 0.0, gxa: f64 = 0.0, gya: f64 = 0.0, gza: f64 = 0.0;
  let grb: f64 = 0.0, gxb: f64 = 0.0, gyb: f64 = 0.0, gzb: f64 = 0.0;
  let w = W;
  for (let mu = 0; mu < p0; mu++) {
    const ncm = ldi(ncMu, mu), nd = lowerCount(ncm);
    const dx = w + (<usize>ncm << 3), dy = dx + (<usize>nd << 3), dz = dy + (<usize>nd << 3);
    let ra = f64x2.splat(0.0), xa = f64x2.splat(0.0), ya = f64x2.splat(0.0), za = f64x2.splat(0.0);
    let rb = f64x2.splat(0.0), xb = f64x2.splat(0.0), yb = f64x2.splat(0.0), zb = f64x2.splat(0.0);
    let c = 0;
    for (; c + 1 < nd; c += 2) {
      const o = <usize>c << 3;
      const u = v128.load(ma + o), v = v128.load(mb + o);
      const tw = v128.load(w + o), tx = v128.load(dx + o), ty = v128.load(dy + o), tz = v128.load(dz + o);
      ra = f64x2.add(ra, f64x2.mul(tw, u)); rb = f64x2.add(rb, f64x2.mul(tw, v));
      xa = f64x2.add(xa, f64x2.mul(tx, u)); xb = f64x2.add(xb, f64x2.mul(tx, v));
      ya = f64x2.add(ya, f64x2.mul(ty, u)); yb = f64x2.add(yb, f64x2.mul(ty, v));
      za = f64x2.add(za, f64x2.mul(tz, u)); zb = f64x2.add(zb, f64x2.mul(tz, v));
    }
    let pra = f64x2.extract_lane(ra, 0) + f64x2.extract_lane(ra, 1);
    let pxa = f64x2.extract_lane(xa, 0) + f64x2.extract_lane(xa, 1);
    let pya = f64x2.extract_lane(ya, 0) + f64x2.extract_lane(ya, 1);
    let pza = f64x2.extract_lane(za, 0) + f64x2.extract_lane(za, 1);
    let prb = f64x2.extract_lane(rb, 0) + f64x2.extract_lane(rb, 1);
    let pxb = f64x2.extract_lane(xb, 0) + f64x2.extract_lane(xb, 1);
    let pyb = f64x2.extract_lane(yb, 0) + f64x2.extract_lane(yb, 1);
    let pzb = f64x2.extract_lane(zb, 0) + f64x2.extract_lane(zb, 1);
    if (c < nd) {
      const u = ld(ma, c), v = ld(mb, c);
      const tw = ld(w, c), tx = ld(dx, c), ty = ld(dy, c), tz = ld(dz, c);
      pra += tw * u; pxa += tx * u; pya += ty * u; pza += tz * u;
      prb += tw * v; pxb += tx * v; pyb += ty * v; pzb += tz * v;
      c++;
    }
    // the top degree: only the radial part
    ra = f64x2.splat(0.0);
    rb = f64x2.splat(0.0);
    for (; c + 1 < ncm; c += 2) {
      const o = <usize>c << 3;
      const tw = v128.load(w + o);
      ra = f64x2.add(ra, f64x2.mul(tw, v128.load(ma + o)));
      rb = f64x2.add(rb, f64x2.mul(tw, v128.load(mb + o)));
    }
    pra += f64x2.extract_lane(ra, 0) + f64x2.extract_lane(ra, 1);
    prb += f64x2.extract_lane(rb, 0) + f64x2.extract_lane(rb, 1);
    if (c < ncm) { const tw = ld(w, c); pra += tw * ld(ma, c); prb += tw * ld(mb, c); }
    const q1 = load<f64>(qa + (<usize>mu << 3)), qd1 = load<f64>(da + (<usize>mu << 3));
    const q2 = load<f64>(qb + (<usize>mu << 3)), qd2 = load<f64>(db + (<usize>mu << 3));
    gra += qd1 * pra; gxa += q1 * pxa; gya += q1 * pya; gza += q1 * pza;
    grb += qd2 * prb; gxb += q2 * pxb; gyb += q2 * pyb; gzb += q2 * pzb;
    w = dz + (<usize>nd << 3);
  }
  // pair block
  {
    const nPair = nMu - p0;
    const sa = da + (<usize>p0 << 3), sb = db + (<usize>p0 << 3);
    let ra = f64x2.splat(0.0), rb = f64x2.splat(0.0);
    let t = 0;
    for (; t + 1 < nPair; t += 2) {
      const o = <usize>t << 3;
      const tw = v128.load(w + o);
      ra = f64x2.add(ra, f64x2.mul(tw, v128.load(sa + o)));
      rb = f64x2.add(rb, f64x2.mul(tw, v128.load(sb + o)));
    }
    gra += f64x2.extract_lane(ra, 0) + f64x2.extract_lane(ra, 1);
    grb += f64x2.extract_lane(rb, 0) + f64x2.extract_lane(rb, 1);
    if (t < nPair) { const tw = ld(w, t); gra += tw * ld(sa, t); grb += tw * ld(sb, t); }
  }
  {
    const ux = load<f64>(a), uy = load<f64>(a, 8), uz = load<f64>(a, 16), ir = 1.0 / load<f64>(a, 24);
    const gu = gxa * ux + gya * uy + gza * uz;
    st(g, 0, gra * ux + (gxa - gu * ux) * ir);
    st(g, 1, gra * uy + (gya - gu * uy) * ir);
    st(g, 2, gra * uz + (gza - gu * uz) * ir);
  }
  {
    const ux = load<f64>(b), uy = load<f64>(b, 8), uz = load<f64>(b, 16), ir = 1.0 / load<f64>(b, 24);
    const gu = gxb * ux + gyb * uy + gzb * uz;
    st(g, 3, grb * ux + (gxb - gu * ux) * ir);
    st(g, 4, grb * uy + (gyb - gu * uy) * ir);
    st(g, 5, grb * uz + (gzb - gu * uz) * ir);
  }
}

/** Force of the gradient g[o..o+2] of neighbour record p on its extended atom (−g); returns nothing, the centre gets +g. */
@inline function pushNeighbour(fext: usize, p: usize, g: usize, o: i32): void {
  const e = <i32>load<f64>(p, 32);
  st(fext, 3 * e, ld(fext, 3 * e) - ld(g, o));
  st(fext, 3 * e + 1, ld(fext, 3 * e + 1) - ld(g, o + 1));
  st(fext, 3 * e + 2, ld(fext, 3 * e + 2) - ld(g, o + 2));
}

/** Workspace sizes (f64) for the atoms of a list. */
function maxNeighbours(n: i32, first: usize): i32 {
  let mx = 0;
  for (let a = 0; a < n; a++) mx = max(mx, ldi(first, a + 1) - ldi(first, a));
  return mx;
}

function checkTypes(n: i32, types: usize, nS: i32): bool {
  for (let a = 0; a < n; a++) {
    const t = ldi(types, a);
    if (t < 0 || t >= nS) return false;
  }
  return true;
}

/**
 * Energy, forces, stress for parameters θ.
 *  bi, bf     basis blobs;  theta  nS + nS·nBasis f64
 *  n, nExt, extPos, owner, types, first, nbr   full neighbour list (cutoff ≥ rcut)
 *  fext 3·nExt scratch; forces 3n out; out 10 f64 (energy, σ 3×3); atomE n f64 out (per-atom energies, or 0)
 *  info 3 f64 out on ST_RMIN (atom, atom, distance)
 */
export function mtp_evaluate(
  bi: usize, bf: usize, theta: usize, rcut: f64, rmin: f64,
  n: i32, nExt: i32, extPos: usize, owner: usize, types: usize, first: usize, nbr: usize,
  fext: usize, forces: usize, volume: f64, out: usize, atomE: usize, info: usize,
): i32 {
  const nS = hdr(bi, H_NS), nMu = hdr(bi, H_NMU), nc = hdr(bi, H_NC), lps = hdr(bi, H_LPS);
  const nNodes = hdr(bi, H_NNODES), nBasis = hdr(bi, H_NBASIS);
  if (!(rcut > rmin) || rmin < 0.0) return ST_BAD_ARG;
  if (!checkTypes(n, types, nS)) return ST_BAD_ARG;
  const nl = nS * lps;
  const stride = REC_BASE + 2 * nMu + nc;
  const mx = maxNeighbours(n, first);
  const p0 = pairStart(bi);
  // Atoms go in pairs: the DAG runs on f64x2 lanes (lane 0 = atom i, lane 1 = atom i + 1).
  const rec0 = heap.alloc(<usize>max(1, mx * stride) << 3);
  const rec1 = heap.alloc(<usize>max(1, mx * stride) << 3);
  const S = heap.alloc(<usize>max(1, nl) << 3);
  const wl = wLength(bi);
  const W = heap.alloc(<usize>max(1, nS * wl) << 3);
  const leaf0 = heap.alloc(<usize>max(1, nl) << 3);
  const leaf1 = heap.alloc(<usize>max(1, nl) << 3);
  const val2 = heap.alloc(<usize>max(1, nNodes) << 4);
  const adj2 = heap.alloc(<usize>max(1, nNodes) << 4);
  const g = heap.alloc(48);
  const outs = tab(bi, H_OUT);
  zeroF64(fext, 3 * nExt);
  let energy: f64 = 0.0;
  let status = ST_OK;
  for (let i = 0; i < n; i += 2) {
    const two = i + 1 < n;
    const m0 = gather(bi, i, extPos, owner, types, first, nbr, rcut, rmin, rec0, stride, info);
    if (m0 < 0) { status = ST_RMIN; break; }
    const m1 = two ? gather(bi, i + 1, extPos, owner, types, first, nbr, rcut, rmin, rec1, stride, info) : 0;
    if (m1 < 0) { status = ST_RMIN; break; }
    leaves(bi, m0, rec0, stride, S, leaf0, p0);
    if (two) leaves(bi, m1, rec1, stride, S, leaf1, p0);
    else zeroF64(leaf1, nl);
    for (let l = 0; l < nl; l++) v128.store(val2 + (<usize>l << 4), f64x2.replace_lane(f64x2.splat(ld(leaf0, l)), 1, ld(leaf1, l)));
    forwardDag2(bi, bf, val2);
    const z0 = ldi(types, i), z1 = two ? ldi(types, i + 1) : 0;
    const th0 = theta + (<usize>(nS + z0 * nBasis) << 3), th1 = theta + (<usize>(nS + z1 * nBasis) << 3);
    zeroF64(adj2, 2 * nNodes);
    let e0 = ld(theta, z0), e1 = two ? ld(theta, z1) : 0.0;
    for (let a = 0; a < nBasis; a++) {
      const o = ldi(outs, a);
      const t0 = ld(th0, a), t1 = two ? ld(th1, a) : 0.0;
      const po = val2 + (<usize>o << 4);
      e0 += t0 * load<f64>(po);
      e1 += t1 * load<f64>(po, 8);
      const pa = adj2 + (<usize>o << 4);
      store<f64>(pa, load<f64>(pa) + t0);
      store<f64>(pa, load<f64>(pa, 8) + t1, 8);
    }
    energy += e0 + e1;
    if (atomE != 0) { st(atomE, i, e0); if (two) st(atomE, i + 1, e1); }
    reverseDag2(bi, bf, val2, adj2);
    const nLanes: i32 = two ? 2 : 1;
    for (let lane = 0; lane < nLanes; lane++) {
      const leafAdj = lane == 0 ? leaf0 : leaf1; // reuse: adjoint of the leaves of this atom
      const laneOff: usize = <usize>lane << 3;
      for (let l = 0; l < nl; l++) st(leafAdj, l, load<f64>(adj2 + (<usize>l << 4) + laneOff));
      adjointTables(bi, bf, leafAdj, W, wl);
      const ia = i + lane, m = lane == 0 ? m0 : m1, rec = lane == 0 ? rec0 : rec1;
      let fxi: f64 = 0.0, fyi: f64 = 0.0, fzi: f64 = 0.0;
      // the neighbours of one species two at a time (one pass over its adjoint tables per two)
      for (let s = 0; s < nS; s++) {
        const Ws = W + (<usize>(s * wl) << 3);
        let pend: usize = 0;
        for (let j = 0; j < m; j++) {
          const p = rec + (<usize>(j * stride) << 3);
          if (<i32>load<f64>(p, 40) != s) continue;
          if (pend == 0) { pend = p; continue; }
          neighbourGradient2(bi, pend, p, Ws, g, p0);
          pushNeighbour(fext, pend, g, 0);
          pushNeighbour(fext, p, g, 3);
          fxi += ld(g, 0) + ld(g, 3); fyi += ld(g, 1) + ld(g, 4); fzi += ld(g, 2) + ld(g, 5);
          pend = 0;
        }
        if (pend != 0) {
          neighbourGradient(bi, pend, Ws, g, p0);
          pushNeighbour(fext, pend, g, 0);
          fxi += ld(g, 0); fyi += ld(g, 1); fzi += ld(g, 2);
        }
      }
      st(fext, 3 * ia, ld(fext, 3 * ia) + fxi);
      st(fext, 3 * ia + 1, ld(fext, 3 * ia + 1) + fyi);
      st(fext, 3 * ia + 2, ld(fext, 3 * ia + 2) + fzi);
    }
  }
  heap.free(rec0); heap.free(rec1); heap.free(S); heap.free(W); heap.free(leaf0); heap.free(leaf1);
  heap.free(val2); heap.free(adj2); heap.free(g);
  if (status != ST_OK) return status;
  finish(n, nExt, extPos, owner, fext, forces, energy, volume, out);
  return ST_OK;
}

/** forwardDag on f64x2 lanes (two atoms); val2 holds 2 f64 per node. */
function forwardDag2(bi: usize, bf: usize, val2: usize): void {
  const nTerms = hdr(bi, H_NTERMS);
  const terms = tab(bi, H_TERMS);
  let zc = nTerms > 0 ? load<i32>(terms, 8) : 0;
  let acc = f64x2.splat(0.0);
  for (let t = 0; t < nTerms; t++) {
    const tp = terms + (<usize>(3 * t) << 2);
    const x = load<i32>(tp), y = load<i32>(tp, 4), z = load<i32>(tp, 8);
    if (z != zc) { v128.store(val2 + (<usize>zc << 4), acc); acc = f64x2.splat(0.0); zc = z; }
    const xy = f64x2.mul(v128.load(val2 + (<usize>x << 4)), v128.load(val2 + (<usize>y << 4)));
    acc = f64x2.add(acc, f64x2.mul(f64x2.splat(ld(bf, t)), xy));
  }
  if (nTerms > 0) v128.store(val2 + (<usize>zc << 4), acc);
}

/** reverseDag on f64x2 lanes. */
function reverseDag2(bi: usize, bf: usize, val2: usize, adj2: usize): void {
  const nTerms = hdr(bi, H_NTERMS);
  const terms = tab(bi, H_TERMS);
  for (let t = nTerms - 1; t >= 0; t--) {
    const tp = terms + (<usize>(3 * t) << 2);
    const x = load<i32>(tp), y = load<i32>(tp, 4), z = load<i32>(tp, 8);
    const gz = f64x2.mul(f64x2.splat(ld(bf, t)), v128.load(adj2 + (<usize>z << 4)));
    const px = adj2 + (<usize>x << 4), py = adj2 + (<usize>y << 4);
    v128.store(px, f64x2.add(v128.load(px), f64x2.mul(gz, v128.load(val2 + (<usize>y << 4)))));
    v128.store(py, f64x2.add(v128.load(py), f64x2.mul(gz, v128.load(val2 + (<usize>x << 4)))));
  }
}

/**
 * Design rows (each nP = nS + nS·nBasis columns), zeroed here:
 *  energy nP; forces 3n·nP (or 0); stress 6·nP Voigt xx yy zz yz xz xy, σ = (1/Ω) Σ r ⊗ ∂E/∂r (or 0);
 *  atoms n·nP (or 0).
 */
export function mtp_design(
  bi: usize, bf: usize, rcut: f64, rmin: f64,
  n: i32, extPos: usize, owner: usize, types: usize, first: usize, nbr: usize, volume: f64,
  energyRow: usize, forceRows: usize, stressRows: usize, atomRows: usize, info: usize,
): i32 {
  const nS = hdr(bi, H_NS), nMu = hdr(bi, H_NMU), nc = hdr(bi, H_NC), lps = hdr(bi, H_LPS);
  const nNodes = hdr(bi, H_NNODES), nBasis = hdr(bi, H_NBASIS);
  if (!(rcut > rmin) || rmin < 0.0) return ST_BAD_ARG;
  if (!checkTypes(n, types, nS)) return ST_BAD_ARG;
  const nP = nS + nS * nBasis;
  const p0 = pairStart(bi);
  const stride = REC_BASE + 2 * nMu + nc;
  const mx = maxNeighbours(n, first);
  const rec = heap.alloc(<usize>max(1, mx * stride) << 3);
  const S = heap.alloc(<usize>max(1, nS * lps) << 3);
  const val = heap.alloc(<usize>max(1, nNodes) << 3);
  const adj = heap.alloc(<usize>max(1, nNodes) << 3);
  const g = heap.alloc(32);
  const outs = tab(bi, H_OUT), terms = tab(bi, H_TERMS);
  const coneT = tab(bi, H_CONET), coneTi = tab(bi, H_CONETI), coneL = tab(bi, H_CONEL), coneLi = tab(bi, H_CONELI);
  const leafMu = tab(bi, H_LEAFMU), leafC = tab(bi, H_LEAFC);
  zeroF64(energyRow, nP);
  if (forceRows != 0) zeroF64(forceRows, 3 * n * nP);
  if (stressRows != 0) zeroF64(stressRows, 6 * nP);
  if (atomRows != 0) zeroF64(atomRows, n * nP);
  zeroF64(adj, nNodes);
  const sv = volume > 0.0 ? 1.0 / volume : 0.0;
  let status = ST_OK;
  for (let i = 0; i < n; i++) {
    const m = gather(bi, i, extPos, owner, types, first, nbr, rcut, rmin, rec, stride, info);
    if (m < 0) { status = ST_RMIN; break; }
    leaves(bi, m, rec, stride, S, val, p0);
    forwardDag(bi, bf, val);
    const zi = ldi(types, i);
    const col0 = nS + zi * nBasis;
    st(energyRow, zi, ld(energyRow, zi) + 1.0);
    if (atomRows != 0) st(atomRows, i * nP + zi, 1.0);
    for (let a = 0; a < nBasis; a++) {
      const v = ld(val, ldi(outs, a));
      st(energyRow, col0 + a, ld(energyRow, col0 + a) + v);
      if (atomRows != 0) st(atomRows, i * nP + col0 + a, v);
    }
    if (forceRows == 0 && stressRows == 0) continue;
    for (let a = 0; a < nBasis; a++) {
      const col = col0 + a;
      // reverse pass over the cone of output a
      st(adj, ldi(outs, a), 1.0);
      const t0 = ldi(coneT, a), t1 = ldi(coneT, a + 1);
      for (let q = t1 - 1; q >= t0; q--) {
        const t = ldi(coneTi, q);
        const tp = terms + (<usize>(3 * t) << 2);
        const x = load<i32>(tp), y = load<i32>(tp, 4), z = load<i32>(tp, 8);
        const gg = ld(bf, t) * ld(adj, z);
        st(adj, x, ld(adj, x) + gg * ld(val, y));
        st(adj, y, ld(adj, y) + gg * ld(val, x));
      }
      const l0 = ldi(coneL, a), l1 = ldi(coneL, a + 1);
      let wxx: f64 = 0, wyy: f64 = 0, wzz: f64 = 0, wyz: f64 = 0, wxz: f64 = 0, wxy: f64 = 0;
      let fxi: f64 = 0, fyi: f64 = 0, fzi: f64 = 0;
      for (let j = 0; j < m; j++) {
        const p = rec + (<usize>(j * stride) << 3);
        const s = <i32>load<f64>(p, 40);
        const pq = p + (<usize>REC_BASE << 3);
        const pd = pq + (<usize>nMu << 3);
        const pm = pd + (<usize>nMu << 3);
        const gf = bf + (<usize>hdr(bi, H_NTERMS) << 3);
        const gradP = tab(bi, H_GRADP);
        let gr: f64 = 0, gx: f64 = 0, gy: f64 = 0, gz: f64 = 0;
        for (let q = l0; q < l1; q++) {
          const leaf = ldi(coneLi, q);
          const ch = leaf / lps;
          if (ch != 0 && ch != s) continue;
          const loc = leaf - ch * lps;
          const mu = ldi(leafMu, loc), c = ldi(leafC, loc);
          const av = ld(adj, leaf);
          const qv = ld(pq, mu);
          const gp = gradP + (<usize>(3 * c) << 2);
          const fp = gf + (<usize>(3 * c) << 3);
          gr += av * ld(pd, mu) * ld(pm, c);
          const w = av * qv;
          gx += w * load<f64>(fp) * ld(pm, load<i32>(gp));
          gy += w * load<f64>(fp, 8) * ld(pm, load<i32>(gp, 4));
          gz += w * load<f64>(fp, 16) * ld(pm, load<i32>(gp, 8));
        }
        const ux = load<f64>(p), uy = load<f64>(p, 8), uz = load<f64>(p, 16), r = load<f64>(p, 24);
        const ir = 1.0 / r;
        const gu = gx * ux + gy * uy + gz * uz;
        const dx = gr * ux + (gx - gu * ux) * ir;
        const dy = gr * uy + (gy - gu * uy) * ir;
        const dz = gr * uz + (gz - gu * uz) * ir;
        if (forceRows != 0) {
          const o = ldi(owner, <i32>load<f64>(p, 32));
          const fo = forceRows + (<usize>(3 * o * nP + col) << 3);
          const stp = <usize>nP << 3;
          store<f64>(fo, load<f64>(fo) - dx);
          store<f64>(fo + stp, load<f64>(fo + stp) - dy);
          store<f64>(fo + 2 * stp, load<f64>(fo + 2 * stp) - dz);
        }
        fxi += dx; fyi += dy; fzi += dz;
        const rx = ux * r, ry = uy * r, rz = uz * r;
        wxx += rx * dx; wyy += ry * dy; wzz += rz * dz;
        wyz += 0.5 * (ry * dz + rz * dy); wxz += 0.5 * (rx * dz + rz * dx); wxy += 0.5 * (rx * dy + ry * dx);
      }
      if (forceRows != 0) {
        const fi = forceRows + (<usize>(3 * i * nP + col) << 3);
        const stp = <usize>nP << 3;
        store<f64>(fi, load<f64>(fi) + fxi);
        store<f64>(fi + stp, load<f64>(fi + stp) + fyi);
        store<f64>(fi + 2 * stp, load<f64>(fi + 2 * stp) + fzi);
      }
      if (stressRows != 0) {
        st(stressRows, col, ld(stressRows, col) + wxx * sv);
        st(stressRows, nP + col, ld(stressRows, nP + col) + wyy * sv);
        st(stressRows, 2 * nP + col, ld(stressRows, 2 * nP + col) + wzz * sv);
        st(stressRows, 3 * nP + col, ld(stressRows, 3 * nP + col) + wyz * sv);
        st(stressRows, 4 * nP + col, ld(stressRows, 4 * nP + col) + wxz * sv);
        st(stressRows, 5 * nP + col, ld(stressRows, 5 * nP + col) + wxy * sv);
      }
      // clear the adjoint of the cone
      st(adj, ldi(outs, a), 0.0);
      for (let q = t0; q < t1; q++) {
        const tp = terms + (<usize>(3 * ldi(coneTi, q)) << 2);
        st(adj, load<i32>(tp), 0.0);
        st(adj, load<i32>(tp, 4), 0.0);
      }
    }
  }
  heap.free(rec); heap.free(S); heap.free(val); heap.free(adj); heap.free(g);
  return status;
}
