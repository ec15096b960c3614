// Stillinger-Weber potential (Stillinger & Weber, Phys. Rev. B 31, 5262 (1985)) in the multi-species
// form of LAMMPS' `pair_style sw` parameter files, on a full neighbour list.
//
//   E = sum_i sum_{j != i} 1/2 phi2(r_ij) + sum_i sum_{j<k} phi3(r_ij, r_ik, theta_jik)
//   phi2(r) = A eps (B (sigma/r)^p - (sigma/r)^q) exp(sigma / (r - a sigma))           r < a sigma
//   phi3    = lambda eps (cos theta_jik - cos theta0)^2 g_ij(r_ij) g_ik(r_ik)
//   g_ij(r) = exp(gamma sigma / (r - a sigma))                                          r < a sigma
// with two-body parameters (and gamma, sigma, a of each leg) from the (i, j, j) entry and
// lambda eps, cos theta0 from the (i, j, k) entry.
//
// Parameter tables:
//   p2: nt*nt records of SW2_STRIDE f64 (ti*nt + tj):
//       [A eps, B, p, q, sigma, cut = a sigma, gamma sigma, cut^2]
//   p3: nt*nt*nt records of 2 f64 ((ti*nt + tj)*nt + tk): [lambda eps, cos theta0]

import { ST_OK, ST_BAD_ARG, ST_OVERLAP, OVERLAP_R2, ld, st, ldi, sti, zeroF64, finish } from "./common";

export const SW2_STRIDE: i32 = 8;

/** x^p, exact repeated products for small integer p (the usual p = 4, q = 0). */
@inline function fpow(x: f64, p: f64): f64 {
  if (p == 0.0) return 1.0;
  if (p == 4.0) { const x2 = x * x; return x2 * x2; }
  if (p == 1.0) return x;
  if (p == 2.0) return x * x;
  return Math.pow(x, p);
}

const NB: i32 = 8; // f64 per stored neighbour: dx, dy, dz, r, g, dg/dr, cut, unused

/**
 *  n, nExt, extPos, owner, types, first, nbr   full neighbour list (see celllist.ts)
 *  fext  3*nExt f64 scratch; forces 3n out; out 10 f64 (energy, stress); info 2 i32 (overlap)
 */
export function sw_compute(
  n: i32, nExt: i32, extPos: usize, owner: usize, types: usize, first: usize, nbr: usize,
  nt: i32, p2: usize, p3: usize, fext: usize, forces: usize, volume: f64, out: usize, info: usize,
): i32 {
  if (nt < 1) return ST_BAD_ARG;
  let maxNb = 0;
  for (let a = 0; a < n; a++) {
    const t = ldi(types, a);
    if (t < 0 || t >= nt) return ST_BAD_ARG;
    maxNb = max(maxNb, ldi(first, a + 1) - ldi(first, a));
  }
  zeroF64(fext, 3 * nExt);
  const nb = heap.alloc(<usize>max(1, maxNb * NB) << 3);
  const nbE = heap.alloc(<usize>max(1, maxNb) << 2);
  const nbT = heap.alloc(<usize>max(1, maxNb) << 2);
  let energy: f64 = 0.0;
  let status = ST_OK;
  for (let i = 0; i < n; i++) {
    const ti = ldi(types, i);
    const xi = ld(extPos, 3 * i), yi = ld(extPos, 3 * i + 1), zi = ld(extPos, 3 * i + 2);
    let fxi: f64 = 0.0, fyi: f64 = 0.0, fzi: f64 = 0.0;
    let m = 0;
    const kEnd = ldi(first, i + 1);
    // Two-body terms and the neighbour table for the three-body terms.
    for (let k = ldi(first, i); k < kEnd; k++) {
      const e = ldi(nbr, k);
      const dx = ld(extPos, 3 * e) - xi;
      const dy = ld(extPos, 3 * e + 1) - yi;
      const dz = ld(extPos, 3 * e + 2) - zi;
      const r2 = dx * dx + dy * dy + dz * dz;
      const tj = ldi(types, ldi(owner, e));
      const pp = p2 + (<usize>((ti * nt + tj) * SW2_STRIDE) << 3);
      if (r2 >= load<f64>(pp, 56)) continue;
      if (r2 < OVERLAP_R2) { sti(info, 0, i); sti(info, 1, ldi(owner, e)); status = ST_OVERLAP; break; }
      const r = Math.sqrt(r2);
      const Ae = load<f64>(pp), B = load<f64>(pp, 8), p = load<f64>(pp, 16), q = load<f64>(pp, 24);
      const sig = load<f64>(pp, 32), cut = load<f64>(pp, 40), gs = load<f64>(pp, 48);
      const ir = 1.0 / r;
      const ic = 1.0 / (r - cut);
      const x = sig * ir;
      const xp = B * fpow(x, p), xq = fpow(x, q);
      const ex = Math.exp(sig * ic);
      const phi = Ae * (xp - xq) * ex;
      const dphi = Ae * ex * ((q * xq - p * xp) * ir - (xp - xq) * sig * ic * ic);
      energy += 0.5 * phi;
      const gg = 0.5 * dphi * ir;
      const fx = gg * dx, fy = gg * dy, fz = gg * dz;
      fxi += fx; fyi += fy; fzi += fz;
      st(fext, 3 * e, ld(fext, 3 * e) - fx);
      st(fext, 3 * e + 1, ld(fext, 3 * e + 1) - fy);
      st(fext, 3 * e + 2, ld(fext, 3 * e + 2) - fz);
      // leg factor of the three-body term
      const g = Math.exp(gs * ic);
      const pn = nb + (<usize>(m * NB) << 3);
      store<f64>(pn, dx); store<f64>(pn, dy, 8); store<f64>(pn, dz, 16); store<f64>(pn, r, 24);
      store<f64>(pn, g, 32); store<f64>(pn, -gs * ic * ic * g, 40);
      sti(nbE, m, e);
      sti(nbT, m, tj);
      m++;
    }
    if (status != ST_OK) break;
    // Three-body terms centred on i.
    const p3i = ti * nt;
    for (let a = 0; a < m - 1; a++) {
      const pa = nb + (<usize>(a * NB) << 3);
      const ax = load<f64>(pa), ay = load<f64>(pa, 8), az = load<f64>(pa, 16), ra = load<f64>(pa, 24);
      const ga = load<f64>(pa, 32), dga = load<f64>(pa, 40);
      const ira = 1.0 / ra;
      const ea = ldi(nbE, a);
      const pta = (p3i + ldi(nbT, a)) * nt;
      let fax: f64 = 0.0, fay: f64 = 0.0, faz: f64 = 0.0;
      for (let b = a + 1; b < m; b++) {
        const p3p = p3 + (<usize>((pta + ldi(nbT, b)) * 2) << 3);
        const le = load<f64>(p3p);
        if (le == 0.0) continue;
        const c0 = load<f64>(p3p, 8);
        const pb = nb + (<usize>(b * NB) << 3);
        const bx = load<f64>(pb), by = load<f64>(pb, 8), bz = load<f64>(pb, 16), rb = load<f64>(pb, 24);
        const gb = load<f64>(pb, 32), dgb = load<f64>(pb, 40);
        const irb = 1.0 / rb;
        const iab = ira * irb;
        const c = (ax * bx + ay * by + az * bz) * iab;
        const dc = c - c0;
        const gab = ga * gb;
        energy += le * dc * dc * gab;
        const t1 = 2.0 * le * dc * gab; // dE/dc
        // dE/d r_a = t1 (b/(ra rb) - c a/ra^2) + le dc^2 dga gb a/ra ; likewise for b
        const ca = t1 * c * ira * ira - le * dc * dc * dga * gb * ira;
        const cb = t1 * c * irb * irb - le * dc * dc * ga * dgb * irb;
        const tab = t1 * iab;
        const dax = tab * bx - ca * ax, day = tab * by - ca * ay, daz = tab * bz - ca * az;
        const dbx = tab * ax - cb * bx, dby = tab * ay - cb * by, dbz = tab * az - cb * bz;
        // forces: F_a = -dE/dr_a, F_b = -dE/dr_b, F_i = dE/dr_a + dE/dr_b
        fax -= dax; fay -= day; faz -= daz;
        const eb = ldi(nbE, b);
        st(fext, 3 * eb, ld(fext, 3 * eb) - dbx);
        st(fext, 3 * eb + 1, ld(fext, 3 * eb + 1) - dby);
        st(fext, 3 * eb + 2, ld(fext, 3 * eb + 2) - dbz);
        fxi += dax + dbx; fyi += day + dby; fzi += daz + dbz;
      }
      st(fext, 3 * ea, ld(fext, 3 * ea) + fax);
      st(fext, 3 * ea + 1, ld(fext, 3 * ea + 1) + fay);
      st(fext, 3 * ea + 2, ld(fext, 3 * ea + 2) + faz);
    }
    st(fext, 3 * i, ld(fext, 3 * i) + fxi);
    st(fext, 3 * i + 1, ld(fext, 3 * i + 1) + fyi);
    st(fext, 3 * i + 2, ld(fext, 3 * i + 2) + fzi);
  }
  heap.free(nb);
  heap.free(nbE);
  heap.free(nbT);
  if (status != ST_OK) return status;
  finish(n, nExt, extPos, owner, fext, forces, energy, volume, out);
  return ST_OK;
}
