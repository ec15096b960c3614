// Anharmonic bond network on a fixed topology:
//   E = sum_b k2/2 u^2 + k3/6 u^3 + k4/24 u^4,   u = |r_b| - d0,   r_b = x_j + S_b·cell - x_i
// The bond list (i, j, integer lattice shift S_b, type) is built once by the host from a reference
// structure and never rebuilt; S_b stays in lattice units, so a strained cell strains every bond.
// Each atom is first brought to the image nearest its reference position (s - nearest(s - s_ref)),
// so re-wrapping an atom by a lattice vector does not break its bonds.
//
// params: ntypes records of 4 f64: [d0, k2, k3, k4].

import { ST_OK, ST_NONFINITE, ST_BAD_ARG, ST_OVERLAP, OVERLAP_R2, ld, st, ldi, sti, zeroF64 } from "./common";

/**
 *  n           atoms; cell 9 f64; frac 3n f64; fracRef 3n f64 (reference fractional coordinates)
 *  nb          bonds; bi, bj nb i32; bs 3*nb i32 lattice shifts; bt nb i32 bond types
 *  ntypes      bond types; params 4*ntypes f64
 *  forces      3n out; out 10 f64 (energy, stress 9); info 2 i32 (atoms of a zero-length bond)
 */
export function bonds_compute(
  n: i32, cell: usize, frac: usize, fracRef: usize, nb: i32, bi: usize, bj: usize, bs: usize, bt: usize,
  ntypes: i32, params: usize, forces: usize, volume: f64, out: usize, info: usize,
): i32 {
  if (n < 0 || nb < 0 || ntypes < 0) return ST_BAD_ARG;
  const c0 = ld(cell, 0), c1 = ld(cell, 1), c2 = ld(cell, 2);
  const c3 = ld(cell, 3), c4 = ld(cell, 4), c5 = ld(cell, 5);
  const c6 = ld(cell, 6), c7 = ld(cell, 7), c8 = ld(cell, 8);
  if (!isFinite(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8)) return ST_NONFINITE;
  for (let b = 0; b < nb; b++) {
    const i = ldi(bi, b), j = ldi(bj, b), t = ldi(bt, b);
    if (i < 0 || i >= n || j < 0 || j >= n || t < 0 || t >= ntypes) return ST_BAD_ARG;
  }
  const x = heap.alloc(<usize>max(1, 3 * n) << 3);
  for (let a = 0; a < n; a++) {
    let s0 = ld(frac, 3 * a), s1 = ld(frac, 3 * a + 1), s2 = ld(frac, 3 * a + 2);
    if (!isFinite(s0 + s1 + s2)) { heap.free(x); return ST_NONFINITE; }
    s0 -= nearest(s0 - ld(fracRef, 3 * a));
    s1 -= nearest(s1 - ld(fracRef, 3 * a + 1));
    s2 -= nearest(s2 - ld(fracRef, 3 * a + 2));
    st(x, 3 * a, s0 * c0 + s1 * c3 + s2 * c6);
    st(x, 3 * a + 1, s0 * c1 + s1 * c4 + s2 * c7);
    st(x, 3 * a + 2, s0 * c2 + s1 * c5 + s2 * c8);
  }
  zeroF64(forces, 3 * n);
  let energy: f64 = 0.0;
  let wxx: f64 = 0, wxy: f64 = 0, wxz: f64 = 0, wyy: f64 = 0, wyz: f64 = 0, wzz: f64 = 0;
  for (let b = 0; b < nb; b++) {
    const i = ldi(bi, b), j = ldi(bj, b);
    const S0 = <f64>ldi(bs, 3 * b), S1 = <f64>ldi(bs, 3 * b + 1), S2 = <f64>ldi(bs, 3 * b + 2);
    const dx = ld(x, 3 * j) - ld(x, 3 * i) + S0 * c0 + S1 * c3 + S2 * c6;
    const dy = ld(x, 3 * j + 1) - ld(x, 3 * i + 1) + S0 * c1 + S1 * c4 + S2 * c7;
    const dz = ld(x, 3 * j + 2) - ld(x, 3 * i + 2) + S0 * c2 + S1 * c5 + S2 * c8;
    const r2 = dx * dx + dy * dy + dz * dz;
    if (r2 < OVERLAP_R2) { sti(info, 0, i); sti(info, 1, j); heap.free(x); return ST_OVERLAP; }
    const r = Math.sqrt(r2);
    const pp = params + (<usize>(ldi(bt, b) * 4) << 3);
    const d0 = load<f64>(pp), k2 = load<f64>(pp, 8), k3 = load<f64>(pp, 16), k4 = load<f64>(pp, 24);
    const u = r - d0;
    const u2 = u * u;
    energy += 0.5 * k2 * u2 + (k3 / 6.0) * u2 * u + (k4 / 24.0) * u2 * u2;
    const g = (k2 * u + 0.5 * k3 * u2 + (k4 / 6.0) * u2 * u) / r; // (dE/dr)/r
    const fx = g * dx, fy = g * dy, fz = g * dz;
    st(forces, 3 * i, ld(forces, 3 * i) + fx);
    st(forces, 3 * i + 1, ld(forces, 3 * i + 1) + fy);
    st(forces, 3 * i + 2, ld(forces, 3 * i + 2) + fz);
    st(forces, 3 * j, ld(forces, 3 * j) - fx);
    st(forces, 3 * j + 1, ld(forces, 3 * j + 1) - fy);
    st(forces, 3 * j + 2, ld(forces, 3 * j + 2) - fz);
    wxx += fx * dx; wxy += fx * dy; wxz += fx * dz;
    wyy += fy * dy; wyz += fy * dz; wzz += fz * dz;
  }
  heap.free(x);
  const s = volume > 0.0 ? 1.0 / volume : 0.0;
  st(out, 0, energy);
  st(out, 1, wxx * s); st(out, 2, wxy * s); st(out, 3, wxz * s);
  st(out, 4, wxy * s); st(out, 5, wyy * s); st(out, 6, wyz * s);
  st(out, 7, wxz * s); st(out, 8, wyz * s); st(out, 9, wzz * s);
  return ST_OK;
}
