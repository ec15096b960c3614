// Helpers shared by the potential kernels (not exported from the module).
//
// Forces are accumulated on *extended* atoms (locals + periodic ghosts of the neighbour list), so
// the virial follows from the extended positions (Omega * sigma_ab = dE/deps_ab = -sum_e X_e,a F_e,b)
// before the ghost forces are folded back onto their owners.

export const ST_OK: i32 = 0;
export const ST_NONFINITE: i32 = 1;
export const ST_BAD_ARG: i32 = 4;
/** Two atoms (closer than 1e-8 Å) overlap; info[0], info[1] = the two atoms. */
export const ST_OVERLAP: i32 = 6;

/** Below this squared distance two atoms are considered to overlap. */
export const OVERLAP_R2: f64 = 1e-16;

@inline export function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline export function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
@inline export function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
@inline export function sti(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

/** Zero `n` f64 at p (n even or odd), with v128 stores. */
export function zeroF64(p: usize, n: i32): void {
  const z = f64x2.splat(0.0);
  let q = 0;
  for (; q + 1 < n; q += 2) v128.store(p + (<usize>q << 3), z);
  if (q < n) st(p, q, 0.0);
}

/**
 * Virial from extended forces, fold ghosts onto owners, and write energy + stress.
 *  fext   3*nExt forces on extended atoms (consumed)
 *  forces 3n out
 *  out    10 f64 out: [energy, sigma(9) tensile-positive eV/Å^3] (sigma only if volume > 0)
 */
export function finish(
  n: i32, nExt: i32, extPos: usize, owner: usize, fext: usize, forces: usize,
  energy: f64, volume: f64, out: usize,
): void {
  let wxx: f64 = 0, wxy: f64 = 0, wxz: f64 = 0, wyx: f64 = 0, wyy: f64 = 0, wyz: f64 = 0, wzx: f64 = 0, wzy: f64 = 0, wzz: f64 = 0;
  for (let e = 0; e < nExt; e++) {
    const x = ld(extPos, 3 * e), y = ld(extPos, 3 * e + 1), z = ld(extPos, 3 * e + 2);
    const fx = ld(fext, 3 * e), fy = ld(fext, 3 * e + 1), fz = ld(fext, 3 * e + 2);
    wxx += x * fx; wxy += x * fy; wxz += x * fz;
    wyx += y * fx; wyy += y * fy; wyz += y * fz;
    wzx += z * fx; wzy += z * fy; wzz += z * fz;
  }
  for (let q = 0; q < 3 * n; q++) st(forces, q, ld(fext, q));
  for (let e = n; e < nExt; e++) {
    const a = ldi(owner, e);
    st(forces, 3 * a, ld(forces, 3 * a) + ld(fext, 3 * e));
    st(forces, 3 * a + 1, ld(forces, 3 * a + 1) + ld(fext, 3 * e + 1));
    st(forces, 3 * a + 2, ld(forces, 3 * a + 2) + ld(fext, 3 * e + 2));
  }
  st(out, 0, energy);
  const s = volume > 0.0 ? -1.0 / volume : 0.0;
  // Symmetrise (the exact tensor is symmetric for rotation-invariant energies; this removes rounding).
  const sxy = 0.5 * (wxy + wyx) * s, sxz = 0.5 * (wxz + wzx) * s, syz = 0.5 * (wyz + wzy) * s;
  st(out, 1, wxx * s); st(out, 2, sxy); st(out, 3, sxz);
  st(out, 4, sxy); st(out, 5, wyy * s); st(out, 6, syz);
  st(out, 7, sxz); st(out, 8, syz); st(out, 9, wzz * s);
}
