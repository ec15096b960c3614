// Pair potentials on a half neighbour list (assembly/neighbors/celllist.ts): Lennard-Jones and Morse.
//
// Parameters: one record of PAIR_STRIDE f64 per ordered type pair (ti * nt + tj), symmetric.
//   Lennard-Jones   [c12 = 4 eps sigma^12, c6 = 4 eps sigma^6, rc^2, eshift, smooth, ro^2, 0, 0]
//     phi(r) = c12 / r^12 - c6 / r^6
//     smooth = 0:  E(r) = phi(r) - eshift (eshift = phi(rc)), energy continuous at rc
//     smooth = 1:  E(r) = phi(r) * S(r^2), S(x) = 1 (x < xo), (xc - x)^2 (xc + 2x - 3xo) / (xc - xo)^3
//                  for xo <= x < xc (x = r^2, xc = rc^2, xo = ro^2): energy and forces continuous.
//   Morse           [D, a, r0, rc^2, eshift, 0, 0, 0]
//     E(r) = D (exp(-2a(r - r0)) - 2 exp(-a(r - r0))) - eshift, minimum -D at r0 (before the shift).
// Pairs beyond rc of their type pair contribute nothing.

import {
  ST_OK, ST_BAD_ARG, ST_OVERLAP, OVERLAP_R2, ld, st, ldi, sti, zeroF64, finish,
} from "./common";

export const PAIR_STRIDE: i32 = 8;

/**
 * Energy, forces and stress of a pair potential.
 *  kind     0 Lennard-Jones, 1 Morse
 *  n, nExt  local and extended atom counts of the neighbour list
 *  extPos   3*nExt f64 positions of extended atoms; owner nExt i32
 *  types    n i32 type index per local atom (0..nt-1)
 *  first    n+1 i32, nbr: half neighbour list (extended indices)
 *  params   nt*nt*PAIR_STRIDE f64
 *  fext     3*nExt f64 scratch
 *  forces   3n f64 out
 *  out      10 f64 out: energy, stress (9, tensile-positive, eV/Å^3; zero when volume = 0)
 *  info     2 i32 out: overlapping atoms on status 6
 */
export function pair_compute(
  kind: i32, n: i32, nExt: i32, extPos: usize, owner: usize, types: usize,
  first: usize, nbr: usize, nt: i32, params: usize, fext: usize, forces: usize,
  volume: f64, out: usize, info: usize,
): i32 {
  if (kind < 0 || kind > 1 || nt < 1) return ST_BAD_ARG;
  for (let a = 0; a < n; a++) {
    const t = ldi(types, a);
    if (t < 0 || t >= nt) return ST_BAD_ARG;
  }
  zeroF64(fext, 3 * nExt);
  // Type of every extended atom (saves a dependent load per pair).
  const textP = heap.alloc(<usize>max(1, nExt) << 2);
  for (let e = 0; e < nExt; e++) sti(textP, e, ldi(types, ldi(owner, e)));
  let smoothAny = false;
  for (let t = 0; t < nt * nt; t++) if (ld(params, t * PAIR_STRIDE + 4) != 0.0) smoothAny = true;
  if (kind == 0 && !smoothAny) {
    const st0 = ljShiftSimd(n, extPos, textP, first, nbr, nt, params, fext, out, info, owner);
    heap.free(textP);
    if (st0 != ST_OK) return st0;
    finish(n, nExt, extPos, owner, fext, forces, ld(out, 0), volume, out);
    return ST_OK;
  }
  let energy: f64 = 0.0;
  for (let i = 0; i < n; i++) {
    const ti = ldi(types, i) * nt;
    const xi = ld(extPos, 3 * i), yi = ld(extPos, 3 * i + 1), zi = ld(extPos, 3 * i + 2);
    let fxi: f64 = 0.0, fyi: f64 = 0.0, fzi: f64 = 0.0;
    const kEnd = ldi(first, i + 1);
    for (let k = ldi(first, i); k < kEnd; k++) {
      const e = ldi(nbr, k);
      const px = extPos + (<usize>(3 * e) << 3);
      const dx = load<f64>(px) - xi;
      const dy = load<f64>(px, 8) - yi;
      const dz = load<f64>(px, 16) - zi;
      const r2 = dx * dx + dy * dy + dz * dz;
      const pp = params + (<usize>((ti + ldi(textP, e)) * PAIR_STRIDE) << 3);
      let u: f64, g: f64; // pair energy, and (dE/dr)/r
      if (kind == 0) {
        const rc2 = load<f64>(pp, 16);
        if (r2 >= rc2) continue;
        if (r2 < OVERLAP_R2) { sti(info, 0, i); sti(info, 1, ldi(owner, e)); heap.free(textP); return ST_OVERLAP; }
        const ir2 = 1.0 / r2;
        const ir6 = ir2 * ir2 * ir2;
        const a12 = load<f64>(pp) * ir6 * ir6;
        const a6 = load<f64>(pp, 8) * ir6;
        const phi = a12 - a6;
        const dphi = (6.0 * a6 - 12.0 * a12) * ir2; // (dphi/dr)/r
        if (load<f64>(pp, 32) == 0.0) {
          u = phi - load<f64>(pp, 24);
          g = dphi;
        } else {
          const xo = load<f64>(pp, 40);
          if (r2 <= xo) {
            u = phi;
            g = dphi;
          } else {
            const w = rc2 - xo;
            const iw3 = 1.0 / (w * w * w);
            const c = rc2 - r2;
            const sw = c * c * (rc2 + 2.0 * r2 - 3.0 * xo) * iw3;
            const dsw = 6.0 * c * (xo - r2) * iw3; // dS/dx
            u = phi * sw;
            g = dphi * sw + phi * dsw * 2.0; // d/dr (phi S) / r, with dx/dr = 2r
          }
        }
      } else {
        if (r2 >= load<f64>(pp, 24)) continue;
        if (r2 < OVERLAP_R2) { sti(info, 0, i); sti(info, 1, ldi(owner, e)); heap.free(textP); return ST_OVERLAP; }
        const r = Math.sqrt(r2);
        const D = load<f64>(pp), al = load<f64>(pp, 8), r0 = load<f64>(pp, 16);
        const ex = Math.exp(-al * (r - r0));
        u = D * ex * (ex - 2.0) - load<f64>(pp, 32);
        g = -2.0 * D * al * ex * (ex - 1.0) / r;
      }
      energy += u;
      // force on the partner: -g * d ; on i: +g * d
      const fx = g * dx, fy = g * dy, fz = g * dz;
      fxi += fx; fyi += fy; fzi += fz;
      const pf = fext + (<usize>(3 * e) << 3);
      store<f64>(pf, load<f64>(pf) - fx);
      store<f64>(pf, load<f64>(pf, 8) - fy, 8);
      store<f64>(pf, load<f64>(pf, 16) - fz, 16);
    }
    const pf = fext + (<usize>(3 * i) << 3);
    store<f64>(pf, load<f64>(pf) + fxi);
    store<f64>(pf, load<f64>(pf, 8) + fyi, 8);
    store<f64>(pf, load<f64>(pf, 16) + fzi, 16);
  }
  heap.free(textP);
  finish(n, nExt, extPos, owner, fext, forces, energy, volume, out);
  return ST_OK;
}

/** Shifted Lennard-Jones, two neighbours per step in f64x2 lanes. Energy to out[0]. */
function ljShiftSimd(
  n: i32, extPos: usize, text: usize, first: usize, nbr: usize, nt: i32, params: usize, fext: usize, out: usize,
  info: usize, owner: usize,
): i32 {
  const zero = f64x2.splat(0.0);
  const one = f64x2.splat(1.0);
  const six = f64x2.splat(6.0);
  const twelve = f64x2.splat(12.0);
  const tiny = f64x2.splat(OVERLAP_R2);
  let eAcc = zero;
  for (let i = 0; i < n; i++) {
    const ti = ldi(text, i) * nt;
    const xi = f64x2.splat(ld(extPos, 3 * i)), yi = f64x2.splat(ld(extPos, 3 * i + 1)), zi = f64x2.splat(ld(extPos, 3 * i + 2));
    let fxi = zero, fyi = zero, fzi = zero;
    const kBeg = ldi(first, i);
    const kEnd = ldi(first, i + 1);
    let k = kBeg;
    for (; k < kEnd; k += 2) {
      const e0 = ldi(nbr, k);
      const has1 = k + 1 < kEnd;
      const e1 = has1 ? ldi(nbr, k + 1) : e0;
      const p0 = extPos + (<usize>(3 * e0) << 3);
      const p1 = extPos + (<usize>(3 * e1) << 3);
      const dx = f64x2.sub(f64x2.replace_lane(f64x2.splat(load<f64>(p0)), 1, load<f64>(p1)), xi);
      const dy = f64x2.sub(f64x2.replace_lane(f64x2.splat(load<f64>(p0, 8)), 1, load<f64>(p1, 8)), yi);
      const dz = f64x2.sub(f64x2.replace_lane(f64x2.splat(load<f64>(p0, 16)), 1, load<f64>(p1, 16)), zi);
      const r2 = f64x2.add(f64x2.add(f64x2.mul(dx, dx), f64x2.mul(dy, dy)), f64x2.mul(dz, dz));
      const q0 = params + (<usize>((ti + ldi(text, e0)) * PAIR_STRIDE) << 3);
      const q1 = params + (<usize>((ti + ldi(text, e1)) * PAIR_STRIDE) << 3);
      const c12 = f64x2.replace_lane(f64x2.splat(load<f64>(q0)), 1, load<f64>(q1));
      const c6 = f64x2.replace_lane(f64x2.splat(load<f64>(q0, 8)), 1, load<f64>(q1, 8));
      const rc2 = f64x2.replace_lane(f64x2.splat(load<f64>(q0, 16)), 1, load<f64>(q1, 16));
      const esh = f64x2.replace_lane(f64x2.splat(load<f64>(q0, 24)), 1, load<f64>(q1, 24));
      // lanes inside the cutoff (lane 1 masked off when it is padding)
      let inside = f64x2.lt(r2, rc2);
      if (!has1) inside = v128.and(inside, i64x2.replace_lane(i64x2.splat(-1), 1, 0));
      if (!v128.any_true(inside)) continue;
      if (v128.any_true(v128.and(inside, f64x2.lt(r2, tiny)))) {
        const bad = f64x2.extract_lane(r2, 0) < OVERLAP_R2 && f64x2.extract_lane(r2, 0) < f64x2.extract_lane(rc2, 0) ? e0 : e1;
        sti(info, 0, i); sti(info, 1, ldi(owner, bad));
        return ST_OVERLAP;
      }
      const r2s = v128.bitselect(r2, one, inside); // avoid 1/0 in masked lanes
      const ir2 = f64x2.div(one, r2s);
      const ir6 = f64x2.mul(f64x2.mul(ir2, ir2), ir2);
      const a6 = f64x2.mul(c6, ir6);
      const a12 = f64x2.mul(f64x2.mul(c12, ir6), ir6);
      const u = v128.and(f64x2.sub(f64x2.sub(a12, a6), esh), inside);
      const g = v128.and(f64x2.mul(f64x2.sub(f64x2.mul(six, a6), f64x2.mul(twelve, a12)), ir2), inside);
      eAcc = f64x2.add(eAcc, u);
      const fx = f64x2.mul(g, dx), fy = f64x2.mul(g, dy), fz = f64x2.mul(g, dz);
      fxi = f64x2.add(fxi, fx); fyi = f64x2.add(fyi, fy); fzi = f64x2.add(fzi, fz);
      const f0 = fext + (<usize>(3 * e0) << 3);
      store<f64>(f0, load<f64>(f0) - f64x2.extract_lane(fx, 0));
      store<f64>(f0, load<f64>(f0, 8) - f64x2.extract_lane(fy, 0), 8);
      store<f64>(f0, load<f64>(f0, 16) - f64x2.extract_lane(fz, 0), 16);
      if (has1) {
        const f1 = fext + (<usize>(3 * e1) << 3);
        store<f64>(f1, load<f64>(f1) - f64x2.extract_lane(fx, 1));
        store<f64>(f1, load<f64>(f1, 8) - f64x2.extract_lane(fy, 1), 8);
        store<f64>(f1, load<f64>(f1, 16) - f64x2.extract_lane(fz, 1), 16);
      }
    }
    const pf = fext + (<usize>(3 * i) << 3);
    store<f64>(pf, load<f64>(pf) + (f64x2.extract_lane(fxi, 0) + f64x2.extract_lane(fxi, 1)));
    store<f64>(pf, load<f64>(pf, 8) + (f64x2.extract_lane(fyi, 0) + f64x2.extract_lane(fyi, 1)), 8);
    store<f64>(pf, load<f64>(pf, 16) + (f64x2.extract_lane(fzi, 0) + f64x2.extract_lane(fzi, 1)), 16);
  }
  st(out, 0, f64x2.extract_lane(eAcc, 0) + f64x2.extract_lane(eAcc, 1));
  return ST_OK;
}

/** Morse energy D (exp(-2a(r - r0)) - 2 exp(-a(r - r0))) at r, with the module's own exp (used for
 *  the energy shift at the cutoff, so the host never evaluates transcendental functions). */
export function morse_energy(D: f64, a: f64, r0: f64, r: f64): f64 {
  const ex = Math.exp(-a * (r - r0));
  return D * ex * (ex - 2.0);
}
