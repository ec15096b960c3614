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
 *
 * Lennard-Jones (shifted or smooth, the same mode for every type pair) runs on f64x2 lanes, two
 * neighbours per step; a structure whose atoms all have one type uses splatted parameters (no
 * per-pair lookups). Summation order depends only on the neighbour list (deterministic).
 */
export function pair_compute(
  kind: i32, n: i32, nExt: i32, extPos: usize, owner: usize, types: usize,
  first: usize, nbr: usize, nt: i32, params: usize, fext: usize, forces: usize,
  volume: f64, out: usize, info: usize,
): i32 {
  if (kind < 0 || kind > 1 || nt < 1) return ST_BAD_ARG;
  let uniform = true;
  const t0 = n > 0 ? ldi(types, 0) : 0;
  for (let a = 0; a < n; a++) {
    const t = ldi(types, a);
    if (t < 0 || t >= nt) return ST_BAD_ARG;
    if (t != t0) uniform = false;
  }
  zeroF64(fext, 3 * nExt);
  let nSmooth = 0;
  for (let t = 0; t < nt * nt; t++) if (ld(params, t * PAIR_STRIDE + 4) != 0.0) nSmooth++;
  if (kind == 0 && (nSmooth == 0 || nSmooth == nt * nt)) {
    const smooth = nSmooth != 0;
    let st0: i32;
    if (uniform) {
      const pp = params + (<usize>((t0 * nt + t0) * PAIR_STRIDE) << 3);
      st0 = smooth
        ? ljSimd(true, false, n, extPos, 0, first, nbr, 0, pp, fext, out, info, owner)
        : ljSimd(false, false, n, extPos, 0, first, nbr, 0, pp, fext, out, info, owner);
    } else {
      // Type of every extended atom (saves a dependent load per pair).
      const textP = heap.alloc(<usize>max(1, nExt) << 2);
      for (let e = 0; e < nExt; e++) sti(textP, e, ldi(types, ldi(owner, e)));
      st0 = smooth
        ? ljSimd(true, true, n, extPos, textP, first, nbr, nt, params, fext, out, info, owner)
        : ljSimd(false, true, n, extPos, textP, first, nbr, nt, params, fext, out, info, owner);
      heap.free(textP);
    }
    if (st0 != ST_OK) return st0;
    finish(n, nExt, extPos, owner, fext, forces, ld(out, 0), volume, out);
    return ST_OK;
  }
  // Type of every extended atom (saves a dependent load per pair).
  const textP = heap.alloc(<usize>max(1, nExt) << 2);
  for (let e = 0; e < nExt; e++) sti(textP, e, ldi(types, ldi(owner, e)));
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

/** Parameters of lanes 0 and 1: record q0 / q1, f64 pair at byte offset `o` → (lo lanes, hi lanes). */
@inline function pairLo(q0: usize, q1: usize, o: usize): v128 {
  return f64x2.shuffle(v128.load(q0 + o), v128.load(q1 + o), 0, 2);
}
@inline function pairHi(q0: usize, q1: usize, o: usize): v128 {
  return f64x2.shuffle(v128.load(q0 + o), v128.load(q1 + o), 1, 3);
}

/**
 * Lennard-Jones (shifted, or smooth with the cubic switch), two neighbours per step in f64x2 lanes.
 *  multi = false: `params` points at the one record used for every pair (uniform types)
 *  multi = true:  `text` holds the type of every extended atom, params the nt*nt table
 * Energy to out[0]; forces accumulated into fext (xyz per extended atom).
 * Lanes beyond the cutoff are masked to zero (branch-free); a neighbour step is skipped only when
 * both lanes are outside. The padding lane of an odd list end repeats lane 0 and is masked off.
 */
@inline function ljSimd(
  smooth: bool, multi: bool,
  n: i32, extPos: usize, text: usize, first: usize, nbr: usize, nt: i32, params: usize, fext: usize, out: usize,
  info: usize, owner: usize,
): i32 {
  const zero = f64x2.splat(0.0);
  const one = f64x2.splat(1.0);
  const two = f64x2.splat(2.0);
  const three = f64x2.splat(3.0);
  const six = f64x2.splat(6.0);
  const twelve = f64x2.splat(12.0);
  const tiny = f64x2.splat(OVERLAP_R2);
  // uniform parameters
  let c12 = zero, c6 = zero, rc2 = zero, esh = zero, xo = zero, iw3 = zero;
  if (!multi) {
    c12 = f64x2.splat(load<f64>(params));
    c6 = f64x2.splat(load<f64>(params, 8));
    rc2 = f64x2.splat(load<f64>(params, 16));
    esh = f64x2.splat(load<f64>(params, 24));
    xo = f64x2.splat(load<f64>(params, 40));
    const w = load<f64>(params, 16) - load<f64>(params, 40);
    iw3 = f64x2.splat(1.0 / (w * w * w));
  }
  let eAcc = zero;
  for (let i = 0; i < n; i++) {
    const pi = extPos + <usize>i * 24;
    const xi = v128.load64_splat(pi), yi = v128.load64_splat(pi, 8), zi = v128.load64_splat(pi, 16);
    let qrow: usize = 0;
    if (multi) qrow = params + (<usize>(load<i32>(text + (<usize>i << 2)) * nt * PAIR_STRIDE) << 3);
    let fxi = zero, fyi = zero, fzi = zero;
    let rmin = f64x2.splat(Infinity); // smallest r^2 seen (overlap test after the loop)
    const kBeg = ldi(first, i);
    const kEnd = ldi(first, i + 1);
    // Steps of two neighbours; an odd last neighbour runs as a step whose lane 1 repeats it and is
    // masked off (its write-back subtracts a zero from the same atom).
    for (let k = kBeg; k < kEnd; k += 2) {
      const pk = nbr + (<usize>k << 2);
      const e0 = load<i32>(pk);
      const has1 = k + 1 < kEnd;
      const e1 = has1 ? load<i32>(pk, 4) : e0;
      const o0 = <usize>e0 * 24, o1 = <usize>e1 * 24;
      const p0 = extPos + o0, p1 = extPos + o1;
      const a0 = v128.load(p0), a1 = v128.load(p1);
      const dx = f64x2.sub(f64x2.shuffle(a0, a1, 0, 2), xi);
      const dy = f64x2.sub(f64x2.shuffle(a0, a1, 1, 3), yi);
      const dz = f64x2.sub(v128.load64_lane(p1, v128.load64_zero(p0, 16), 1, 16), zi);
      const r2 = f64x2.add(f64x2.add(f64x2.mul(dx, dx), f64x2.mul(dy, dy)), f64x2.mul(dz, dz));
      let q0: usize = 0, q1: usize = 0;
      if (multi) {
        q0 = qrow + (<usize>(load<i32>(text + (<usize>e0 << 2)) * PAIR_STRIDE) << 3);
        q1 = qrow + (<usize>(load<i32>(text + (<usize>e1 << 2)) * PAIR_STRIDE) << 3);
        rc2 = pairLo(q0, q1, 16);
      }
      // lane 1 of an odd end: mask (all ones while it is a real neighbour)
      const inside = v128.and(f64x2.lt(r2, rc2), i64x2.replace_lane(i64x2.splat(-1), 1, has1 ? -1 : 0));
      if (!v128.any_true(inside)) continue;
      rmin = f64x2.pmin(rmin, r2);
      if (multi) {
        c12 = pairLo(q0, q1, 0);
        c6 = pairHi(q0, q1, 0);
        if (smooth) {
          xo = pairHi(q0, q1, 32);
          const w = f64x2.sub(rc2, xo);
          iw3 = f64x2.div(one, f64x2.mul(f64x2.mul(w, w), w));
        } else {
          esh = pairHi(q0, q1, 16);
        }
      }
      // lanes outside the cutoff have r2 >= rc2 > 0 (finite); zeroing 1/r^2 there zeroes
      // phi, dphi and so the force; the shift is masked separately
      const ir2 = v128.and(f64x2.div(one, r2), inside);
      const ir6 = f64x2.mul(f64x2.mul(ir2, ir2), ir2);
      const a6 = f64x2.mul(c6, ir6);
      const a12 = f64x2.mul(f64x2.mul(c12, ir6), ir6);
      let u: v128, g: v128;
      if (smooth) {
        const phi = f64x2.sub(a12, a6);
        const dphi = f64x2.mul(f64x2.sub(f64x2.mul(six, a6), f64x2.mul(twelve, a12)), ir2);
        const c = f64x2.sub(rc2, r2);
        const sw = f64x2.mul(f64x2.mul(f64x2.mul(c, c), f64x2.sub(f64x2.add(rc2, f64x2.mul(two, r2)), f64x2.mul(three, xo))), iw3);
        const dsw = f64x2.mul(f64x2.mul(f64x2.mul(six, c), f64x2.sub(xo, r2)), iw3);
        const us = f64x2.mul(phi, sw);
        const gs = f64x2.add(f64x2.mul(dphi, sw), f64x2.mul(f64x2.mul(phi, dsw), two));
        // outside lanes: phi = dphi = 0 and sw, dsw finite, so us = gs = 0 there too
        const core = f64x2.le(r2, xo);
        u = v128.bitselect(phi, us, core);
        g = v128.bitselect(dphi, gs, core);
      } else {
        u = f64x2.sub(f64x2.sub(a12, a6), v128.and(esh, inside));
        g = f64x2.mul(f64x2.sub(f64x2.mul(six, a6), f64x2.mul(twelve, a12)), ir2);
      }
      eAcc = f64x2.add(eAcc, u);
      const fx = f64x2.mul(g, dx), fy = f64x2.mul(g, dy), fz = f64x2.mul(g, dz);
      fxi = f64x2.add(fxi, fx); fyi = f64x2.add(fyi, fy); fzi = f64x2.add(fzi, fz);
      // force on the partners: -g d (lane 0 first: an odd end's lane 1 is the same atom)
      const f0 = fext + o0;
      v128.store(f0, f64x2.sub(v128.load(f0), f64x2.shuffle(fx, fy, 0, 2)));
      store<f64>(f0, load<f64>(f0, 16) - f64x2.extract_lane(fz, 0), 16);
      const f1 = fext + o1;
      v128.store(f1, f64x2.sub(v128.load(f1), f64x2.shuffle(fx, fy, 1, 3)));
      store<f64>(f1, load<f64>(f1, 16) - f64x2.extract_lane(fz, 1), 16);
    }
    const bad = f64x2.lt(rmin, tiny);
    if (v128.any_true(bad)) {
      // first overlapping partner in list order
      for (let k = kBeg; k < kEnd; k++) {
        const e = ldi(nbr, k);
        const dx = ld(extPos, 3 * e) - ld(extPos, 3 * i);
        const dy = ld(extPos, 3 * e + 1) - ld(extPos, 3 * i + 1);
        const dz = ld(extPos, 3 * e + 2) - ld(extPos, 3 * i + 2);
        if (dx * dx + dy * dy + dz * dz < OVERLAP_R2) {
          sti(info, 0, i); sti(info, 1, ldi(owner, e));
          return ST_OVERLAP;
        }
      }
    }
    const pf = fext + <usize>i * 24;
    const fxy = f64x2.add(f64x2.shuffle(fxi, fyi, 0, 2), f64x2.shuffle(fxi, fyi, 1, 3));
    v128.store(pf, f64x2.add(v128.load(pf), fxy));
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
