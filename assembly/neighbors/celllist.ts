// Periodic neighbour lists by linked-cell binning, for any (even very triclinic) cell, including
// cells thinner than the cutoff.
//
// Method (own implementation of the textbook scheme):
//  1. Wrap every atom into the unit parallelepiped: s' = s - floor(s) (integer offset o = floor(s)).
//  2. Ghost atoms: an image s' + G (G integer) is kept when every fractional component lies in
//     [-p_k, 1 + p_k), p_k = rc / h_k, h_k = Omega / |a_{k+1} x a_{k+2}| the spacing of lattice planes.
//     Any point within rc of the cell satisfies that slab test, so the "extended" atom set (locals
//     first, then ghosts ordered by image, then atom) contains every partner of every local atom.
//     Thin cells simply get many images (G ranges over -ceil(p_k)..ceil(p_k)).
//  3. Bin the extended atoms on a lattice-aligned fractional grid: m_k bins per unit of s_k (width
//     about p_k / 2), a ghost in its owner's bin shifted by G_k m_k, so the grid is exactly periodic.
//     Partners of an atom lie within R_k (usually 2) bins along every k.
//  4. For every local atom collect the extended atoms closer than rc (CSR: first[i]..first[i+1]),
//     scanning bins in sorted (SoA) order, two candidates per f64x2 step.
//     Full list: every partner (the (2R+1)^3 stencil). Half list: the lexicographically positive
//     half of the stencil plus the own bin with owner j > i; since the bins are periodic, each
//     physical pair (i, j, S) appears exactly once, as i -> j + S or as j -> i - S (the kernels do not
//     care which; `NeighborList.pairs()` orients it i < j for the public form).
//
// Extended atom e has an owner (local atom) and an integer image vector img[e] relative to the
// positions the host passed in: X_e = x_owner + img[e]·cell. For locals img = -o (their wrap).
// The lattice shift of pair (i, e) in r_ij = x_j + S·cell - x_i is S = img[e] - img[i].
//
// All arrays are row-major; ints are i32. Scratch is allocated and freed inside each call.

const ST_OK: i32 = 0;
const ST_NONFINITE: i32 = 1;
const ST_BAD_ARG: i32 = 4;
/** Output capacity too small: the needed sizes were written to counts[0..1]. */
const ST_CAPACITY: i32 = 7;
/** nl_refresh: an atom moved more than half the skin, the list must be rebuilt. */
const ST_REBUILD: i32 = 8;

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
@inline function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
@inline function sti(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

/** Inverse of the 3x3 row-major matrix at `a` into `out`; returns the determinant. */
export function nlInv3(a: usize, out: usize): f64 {
  const a0 = ld(a, 0), a1 = ld(a, 1), a2 = ld(a, 2);
  const a3 = ld(a, 3), a4 = ld(a, 4), a5 = ld(a, 5);
  const a6 = ld(a, 6), a7 = ld(a, 7), a8 = ld(a, 8);
  const c0 = a4 * a8 - a5 * a7;
  const c3 = a5 * a6 - a3 * a8;
  const c6 = a3 * a7 - a4 * a6;
  const d = a0 * c0 + a1 * c3 + a2 * c6;
  const r = 1.0 / d;
  st(out, 0, c0 * r);
  st(out, 1, (a2 * a7 - a1 * a8) * r);
  st(out, 2, (a1 * a5 - a2 * a4) * r);
  st(out, 3, c3 * r);
  st(out, 4, (a0 * a8 - a2 * a6) * r);
  st(out, 5, (a2 * a3 - a0 * a5) * r);
  st(out, 6, c6 * r);
  st(out, 7, (a1 * a6 - a0 * a7) * r);
  st(out, 8, (a0 * a4 - a1 * a3) * r);
  return d;
}

/** Spacing of the lattice planes normal to reciprocal vector k: h_k = 1 / |b_k|, b_k = column k of
 *  the inverse cell (a_i · b_k = delta_ik). */
function planeSpacing(inv: usize, k: i32): f64 {
  const x = ld(inv, k), y = ld(inv, 3 + k), z = ld(inv, 6 + k);
  return 1.0 / Math.sqrt(x * x + y * y + z * z);
}

/**
 * Build a neighbour list.
 *  n            number of atoms
 *  cell         9 f64 (rows = lattice vectors)
 *  frac         3n f64 fractional coordinates (any image)
 *  rc           list cutoff (Å), > 0
 *  full         1: full list, 0: half list
 *  capExt       capacity of the extended-atom arrays
 *  extPos       3*capExt f64 out: Cartesian positions of extended atoms (locals first, wrapped)
 *  owner        capExt i32 out: local atom of each extended atom
 *  img          3*capExt i32 out: image vector relative to the input positions
 *  first        (n+1) i32 out: CSR offsets
 *  capPairs     capacity of nbr
 *  nbr          capPairs i32 out: extended-atom index of each partner
 *  counts       2 i32 out: [number of extended atoms, number of list entries]
 * Returns 0, 1 (non-finite input), 4 (bad argument) or 7 (capacity too small; counts hold the needs).
 */
export function nl_build(
  n: i32, cell: usize, frac: usize, rc: f64, full: i32,
  capExt: i32, extPos: usize, owner: usize, img: usize,
  first: usize, capPairs: i32, nbr: usize, counts: usize,
): i32 {
  if (n < 0 || !(rc > 0.0) || !isFinite(rc)) return ST_BAD_ARG;
  for (let q = 0; q < 9; q++) if (!isFinite(ld(cell, q))) return ST_NONFINITE;
  for (let q = 0; q < 3 * n; q++) if (!isFinite(ld(frac, q))) return ST_NONFINITE;
  const inv = heap.alloc(72);
  const det = nlInv3(cell, inv);
  if (!(Math.abs(det) > 1e-12) || !isFinite(det)) { heap.free(inv); return ST_BAD_ARG; }
  const c0 = ld(cell, 0), c1 = ld(cell, 1), c2 = ld(cell, 2);
  const c3 = ld(cell, 3), c4 = ld(cell, 4), c5 = ld(cell, 5);
  const c6 = ld(cell, 6), c7 = ld(cell, 7), c8 = ld(cell, 8);

  // Padding in fractional units (slightly enlarged so rounding can never lose a partner).
  const p0 = rc / planeSpacing(inv, 0) * (1.0 + 1e-10) + 1e-12;
  const p1 = rc / planeSpacing(inv, 1) * (1.0 + 1e-10) + 1e-12;
  const p2 = rc / planeSpacing(inv, 2) * (1.0 + 1e-10) + 1e-12;
  heap.free(inv);
  const m0 = <i32>Math.ceil(p0), m1 = <i32>Math.ceil(p1), m2 = <i32>Math.ceil(p2);
  if (<f64>(2 * m0 + 1) * <f64>(2 * m1 + 1) * <f64>(2 * m2 + 1) * <f64>max(n, 1) > 2.0e9) return ST_BAD_ARG;

  // Wrapped fractional coordinates and their integer offsets.
  const sw = heap.alloc(<usize>max(1, 3 * n) << 3);
  const off = heap.alloc(<usize>max(1, 3 * n) << 2);
  for (let q = 0; q < 3 * n; q++) {
    const s = ld(frac, q);
    let o = Math.floor(s);
    let w = s - o;
    if (w >= 1.0) { w = 0.0; o += 1.0; }
    if (!(Math.abs(o) < 1.0e9)) { heap.free(sw); heap.free(off); return ST_BAD_ARG; }
    st(sw, q, w);
    sti(off, q, <i32>o);
  }

  // Atoms whose image g along dimension k stays in the slab [-p_k, 1 + p_k): one ascending list per
  // (k, g) (g = 0 holds every atom). An image G = (g0, g1, g2) is kept for the atoms in all three
  // lists; scanning the shortest of them keeps the order of the plain loop (image-major, then
  // atom index) at a fraction of its cost.
  const w0n = 2 * m0 + 1, w1n = 2 * m1 + 1, w2n = 2 * m2 + 1;
  const nLists = w0n + w1n + w2n;
  const lstart = heap.alloc(<usize>(nLists + 1) << 2);
  // valid flags per (list, atom) as bytes; list offsets for g != 0 only hold matching atoms
  const flags = heap.alloc(<usize>max(1, nLists * n));
  let tot = 0;
  for (let l = 0; l < nLists; l++) {
    const k = l < w0n ? 0 : l < w0n + w1n ? 1 : 2;
    const g = k == 0 ? l - m0 : k == 1 ? l - w0n - m1 : l - w0n - w1n - m2;
    const pk = k == 0 ? p0 : k == 1 ? p1 : p2;
    const fg = <f64>g;
    sti(lstart, l, tot);
    const fl = flags + <usize>l * <usize>n;
    for (let a = 0; a < n; a++) {
      const t = ld(sw, 3 * a + k) + fg;
      const ok = t >= -pk && t < 1.0 + pk;
      store<u8>(fl + <usize>a, ok ? 1 : 0);
      tot += ok ? 1 : 0;
    }
  }
  sti(lstart, nLists, tot);
  const lists = heap.alloc(<usize>max(1, tot) << 2);
  for (let l = 0; l < nLists; l++) {
    let c = ldi(lstart, l);
    const fl = flags + <usize>l * <usize>n;
    for (let a = 0; a < n; a++) if (load<u8>(fl + <usize>a)) { sti(lists, c, a); c++; }
  }
  // Pass 1: count extended atoms.
  let nExt = n;
  for (let g0 = -m0; g0 <= m0; g0++) {
    for (let g1 = -m1; g1 <= m1; g1++) {
      for (let g2 = -m2; g2 <= m2; g2++) {
        if (g0 == 0 && g1 == 0 && g2 == 0) continue;
        nExt += imageScan(g0 + m0, w0n + g1 + m1, w0n + w1n + g2 + m2, n, lstart, lists, flags, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
      }
    }
  }
  sti(counts, 0, nExt);
  sti(counts, 1, 0);
  if (nExt > capExt) { heap.free(sw); heap.free(off); heap.free(lstart); heap.free(flags); heap.free(lists); return ST_CAPACITY; }

  // Pass 2: fill extended atoms; keep their fractional coordinates for binning.
  const tf = heap.alloc(<usize>max(1, 3 * nExt) << 3);
  for (let a = 0; a < n; a++) {
    const t0 = ld(sw, 3 * a), t1 = ld(sw, 3 * a + 1), t2 = ld(sw, 3 * a + 2);
    st(tf, 3 * a, t0); st(tf, 3 * a + 1, t1); st(tf, 3 * a + 2, t2);
    sti(owner, a, a);
    sti(img, 3 * a, -ldi(off, 3 * a));
    sti(img, 3 * a + 1, -ldi(off, 3 * a + 1));
    sti(img, 3 * a + 2, -ldi(off, 3 * a + 2));
  }
  let e = n;
  for (let g0 = -m0; g0 <= m0; g0++) {
    for (let g1 = -m1; g1 <= m1; g1++) {
      for (let g2 = -m2; g2 <= m2; g2++) {
        if (g0 == 0 && g1 == 0 && g2 == 0) continue;
        e += imageScan(g0 + m0, w0n + g1 + m1, w0n + w1n + g2 + m2, n, lstart, lists, flags, 1, e, g0, g1, g2, sw, off, tf, owner, img);
      }
    }
  }
  heap.free(lstart);
  heap.free(flags);
  heap.free(lists);
  heap.free(sw);
  heap.free(off);
  for (let q = 0; q < nExt; q++) {
    const t0 = ld(tf, 3 * q), t1 = ld(tf, 3 * q + 1), t2 = ld(tf, 3 * q + 2);
    st(extPos, 3 * q, t0 * c0 + t1 * c3 + t2 * c6);
    st(extPos, 3 * q + 1, t0 * c1 + t1 * c4 + t2 * c7);
    st(extPos, 3 * q + 2, t0 * c2 + t1 * c5 + t2 * c8);
  }

  // Bin grid aligned with the lattice: m_k bins per unit of s_k (width 1/m_k >= p_k / 2 unless the
  // cell is thinner than the cutoff), so that the partners of an atom lie within R_k >= p_k m_k bins
  // along k. Local atoms get b_k = floor(s_k m_k); a ghost of image G gets its owner's bin + G_k m_k
  // (integer arithmetic), so bins are exactly lattice-periodic. One spare bin on each side
  // absorbs rounding of floor(s m); no clamping is needed.
  let bm0 = max(1, <i32>Math.min(Math.floor(2.0 / p0), 1.0e6));
  let bm1 = max(1, <i32>Math.min(Math.floor(2.0 / p1), 1.0e6));
  let bm2 = max(1, <i32>Math.min(Math.floor(2.0 / p2), 1.0e6));
  let R0 = 0, R1 = 0, R2 = 0, nb0 = 0, nb1 = 0, nb2 = 0;
  // Keep the grid no larger than a few bins per atom (vacuum-heavy cells).
  const maxBins = <f64>(8 * nExt + 4096);
  while (true) {
    R0 = reach(p0, bm0); R1 = reach(p1, bm1); R2 = reach(p2, bm2);
    nb0 = bm0 + 2 * R0 + 2; nb1 = bm1 + 2 * R1 + 2; nb2 = bm2 + 2 * R2 + 2;
    if (<f64>nb0 * <f64>nb1 * <f64>nb2 <= maxBins || (bm0 == 1 && bm1 == 1 && bm2 == 1)) break;
    if (bm0 >= bm1 && bm0 >= bm2) bm0 = max(1, bm0 >> 1);
    else if (bm1 >= bm2) bm1 = max(1, bm1 >> 1);
    else bm2 = max(1, bm2 >> 1);
  }
  const fm0 = <f64>bm0, fm1 = <f64>bm1, fm2 = <f64>bm2;
  const nbins = nb0 * nb1 * nb2;
  const binOf = heap.alloc(<usize>max(1, nExt) << 2);
  const binStart = heap.alloc(<usize>(nbins + 1) << 2);
  for (let b = 0; b <= nbins; b++) sti(binStart, b, 0);
  // local bins (with offset R + 1) as 3 ints, kept for the ghosts
  const lb = heap.alloc(<usize>max(1, 3 * n) << 2);
  for (let a = 0; a < n; a++) {
    sti(lb, 3 * a, <i32>Math.floor(ld(tf, 3 * a) * fm0) + R0 + 1);
    sti(lb, 3 * a + 1, <i32>Math.floor(ld(tf, 3 * a + 1) * fm1) + R1 + 1);
    sti(lb, 3 * a + 2, <i32>Math.floor(ld(tf, 3 * a + 2) * fm2) + R2 + 1);
  }
  for (let q = 0; q < nExt; q++) {
    const a = ldi(owner, q);
    // image of q relative to its owner's wrapped position
    const g0 = ldi(img, 3 * q) - ldi(img, 3 * a), g1 = ldi(img, 3 * q + 1) - ldi(img, 3 * a + 1), g2 = ldi(img, 3 * q + 2) - ldi(img, 3 * a + 2);
    const b0 = ldi(lb, 3 * a) + g0 * bm0, b1 = ldi(lb, 3 * a + 1) + g1 * bm1, b2 = ldi(lb, 3 * a + 2) + g2 * bm2;
    if (b0 < 0 || b0 >= nb0 || b1 < 0 || b1 >= nb1 || b2 < 0 || b2 >= nb2) abort("nl_build: bin out of range");
    const b = (b0 * nb1 + b1) * nb2 + b2;
    sti(binOf, q, b);
    sti(binStart, b + 1, ldi(binStart, b + 1) + 1);
  }
  heap.free(lb);
  heap.free(tf);
  for (let b = 0; b < nbins; b++) sti(binStart, b + 1, ldi(binStart, b + 1) + ldi(binStart, b));
  // Stable counting sort (extended atoms in increasing index inside each bin), with the sorted
  // atoms' coordinates (SoA, padded by two slots) and owners alongside.
  const fill = heap.alloc(<usize>max(1, nbins) << 2);
  for (let b = 0; b < nbins; b++) sti(fill, b, ldi(binStart, b));
  const sIdx = heap.alloc(<usize>(nExt + 2) << 2);
  const sOwn = heap.alloc(<usize>(nExt + 2) << 2);
  const sx = heap.alloc(<usize>(nExt + 2) << 3);
  const sy = heap.alloc(<usize>(nExt + 2) << 3);
  const sz = heap.alloc(<usize>(nExt + 2) << 3);
  for (let q = 0; q < nExt; q++) {
    const b = ldi(binOf, q);
    const k = ldi(fill, b);
    sti(sIdx, k, q);
    sti(sOwn, k, ldi(owner, q));
    st(sx, k, ld(extPos, 3 * q)); st(sy, k, ld(extPos, 3 * q + 1)); st(sz, k, ld(extPos, 3 * q + 2));
    sti(fill, b, k + 1);
  }
  for (let k = nExt; k < nExt + 2; k++) {
    sti(sIdx, k, 0); sti(sOwn, k, -1);
    st(sx, k, Infinity); st(sy, k, Infinity); st(sz, k, Infinity);
  }
  heap.free(fill);

  // Pairs. Full list: the (2R+1)^3 stencil. Half list: the half stencil of bin offsets D that are
  // lexicographically positive (D0 > 0; D0 = 0, D1 > 0; D0 = D1 = 0, D2 > 0), plus the atom's own bin
  // where the partner's owner must exceed i. Bins are lattice-periodic, so of the two directions
  // (i, j + S) and (j, i - S) of a pair exactly one is found. Candidates of one stencil row are
  // contiguous in sorted order and tested two per step (f64x2), kept without branches.
  const rc2 = rc * rc;
  // nothing is stored beyond the capacity (a sink takes those writes); the count goes on
  const sink = heap.alloc(16);
  let np = 0;
  for (let i = 0; i < n; i++) {
    sti(first, i, np);
    const bi = ldi(binOf, i);
    const b0 = bi / (nb1 * nb2);
    const b1 = (bi / nb2) % nb1;
    const b2 = bi % nb2;
    const xv = f64x2.splat(ld(extPos, 3 * i)), yv = f64x2.splat(ld(extPos, 3 * i + 1)), zv = f64x2.splat(ld(extPos, 3 * i + 2));
    const hi0 = min(b0 + R0, nb0 - 1), hi1 = min(b1 + R1, nb1 - 1), hi2 = min(b2 + R2, nb2 - 1);
    const lo2 = max(b2 - R2, 0);
    for (let a0 = full ? max(b0 - R0, 0) : b0; a0 <= hi0; a0++) {
      for (let a1 = full || a0 > b0 ? max(b1 - R1, 0) : b1; a1 <= hi1; a1++) {
        const rowBase = (a0 * nb1 + a1) * nb2;
        if (a0 == b0 && a1 == b1) {
          if (full) {
            np = scanRange(2, ldi(binStart, rowBase + lo2), ldi(binStart, rowBase + hi2 + 1), np, i, xv, yv, zv, rc2, sx, sy, sz, sIdx, sOwn, nbr, capPairs, sink);
          } else {
            np = scanRange(1, ldi(binStart, bi), ldi(binStart, bi + 1), np, i, xv, yv, zv, rc2, sx, sy, sz, sIdx, sOwn, nbr, capPairs, sink);
            np = scanRange(0, ldi(binStart, bi + 1), ldi(binStart, rowBase + hi2 + 1), np, i, xv, yv, zv, rc2, sx, sy, sz, sIdx, sOwn, nbr, capPairs, sink);
          }
        } else {
          np = scanRange(0, ldi(binStart, rowBase + lo2), ldi(binStart, rowBase + hi2 + 1), np, i, xv, yv, zv, rc2, sx, sy, sz, sIdx, sOwn, nbr, capPairs, sink);
        }
      }
    }
  }
  sti(first, n, np);
  sti(counts, 1, np);
  heap.free(sink);
  heap.free(binOf);
  heap.free(binStart);
  heap.free(sIdx);
  heap.free(sOwn);
  heap.free(sx);
  heap.free(sy);
  heap.free(sz);
  return np > capPairs ? ST_CAPACITY : ST_OK;
}

/** Bins to search along k: R >= p m, kept at least 1e-9 above it (rounding of floor(s m)). */
function reach(p: f64, m: i32): i32 {
  const pm = p * <f64>m;
  let r = <i32>Math.ceil(pm);
  if (<f64>r - pm < 1e-9) r++;
  return r;
}

/**
 * Candidates k in [kBeg, kEnd) of the sorted atoms, two per step; appends those closer than rc.
 *  mode 0: every candidate; 1: owner > i (own bin of a half list); 2: all but atom i (full list)
 */
@inline function scanRange(
  mode: i32, kBeg: i32, kEnd: i32, np: i32, i: i32, xv: v128, yv: v128, zv: v128, rc2: f64,
  sx: usize, sy: usize, sz: usize, sIdx: usize, sOwn: usize, nbr: usize, capPairs: i32, sink: usize,
): i32 {
  const rc2v = f64x2.splat(rc2);
  for (let k = kBeg; k < kEnd; k += 2) {
    // slot k+1 may lie past the range (an atom of the next bins, or the padding): masked
    const o = <usize>k << 3;
    const dx = f64x2.sub(v128.load(sx + o), xv);
    const dy = f64x2.sub(v128.load(sy + o), yv);
    const dz = f64x2.sub(v128.load(sz + o), zv);
    const r2 = f64x2.add(f64x2.add(f64x2.mul(dx, dx), f64x2.mul(dy, dy)), f64x2.mul(dz, dz));
    const m = i64x2.bitmask(f64x2.lt(r2, rc2v));
    if (m == 0) continue;
    const pk = <usize>k << 2;
    const q0 = load<i32>(sIdx + pk), q1 = load<i32>(sIdx + pk, 4);
    let keep0 = <i32>(m & 1);
    let keep1 = <i32>(m >> 1) & <i32>(k + 1 < kEnd);
    if (mode == 1) {
      keep0 &= <i32>(load<i32>(sOwn + pk) > i);
      keep1 &= <i32>(load<i32>(sOwn + pk, 4) > i);
    } else if (mode == 2) {
      keep0 &= <i32>(q0 != i);
      keep1 &= <i32>(q1 != i);
    }
    sti(np < capPairs ? nbr : sink, np < capPairs ? np : 0, q0);
    np += keep0;
    sti(np < capPairs ? nbr : sink, np < capPairs ? np : 0, q1);
    np += keep1;
  }
  return np;
}

/**
 * Ghosts of image G (list indices l0, l1, l2 of its three components): the atoms in all three
 * lists, in ascending order. write = 0 only counts; write = 1 fills entries from `e` on.
 */
function imageScan(
  l0: i32, l1: i32, l2: i32, n: i32, lstart: usize, lists: usize, flags: usize, write: i32, e: i32,
  g0: i32, g1: i32, g2: i32, sw: usize, off: usize, tf: usize, owner: usize, img: usize,
): i32 {
  // scan the shortest list, test membership in the other two through their flags
  const c0 = ldi(lstart, l0 + 1) - ldi(lstart, l0);
  const c1 = ldi(lstart, l1 + 1) - ldi(lstart, l1);
  const c2 = ldi(lstart, l2 + 1) - ldi(lstart, l2);
  let ls = l0, la = l1, lb = l2;
  if (c1 < c0 && c1 <= c2) { ls = l1; la = l0; lb = l2; }
  else if (c2 < c0 && c2 < c1) { ls = l2; la = l0; lb = l1; }
  const fa = flags + <usize>la * <usize>n, fb = flags + <usize>lb * <usize>n;
  const kEnd = ldi(lstart, ls + 1);
  let c = 0;
  for (let k = ldi(lstart, ls); k < kEnd; k++) {
    const a = ldi(lists, k);
    if (load<u8>(fa + <usize>a) & load<u8>(fb + <usize>a)) {
      if (write) {
        const q = e + c;
        st(tf, 3 * q, ld(sw, 3 * a) + <f64>g0);
        st(tf, 3 * q + 1, ld(sw, 3 * a + 1) + <f64>g1);
        st(tf, 3 * q + 2, ld(sw, 3 * a + 2) + <f64>g2);
        sti(owner, q, a);
        sti(img, 3 * q, g0 - ldi(off, 3 * a));
        sti(img, 3 * q + 1, g1 - ldi(off, 3 * a + 1));
        sti(img, 3 * q + 2, g2 - ldi(off, 3 * a + 2));
      }
      c++;
    }
  }
  return c;
}

/**
 * Move the extended atoms of an existing list to new positions (same cell) without rebuilding.
 *  frac      3n f64 new fractional coordinates (any image)
 *  fracRef   3n f64 fractional coordinates the list was built from
 *  extRef    3*nExt f64 extended positions at build time
 *  extPos    3*nExt f64 out: current extended positions
 *  maxDisp   the list stays valid while every atom moved less than maxDisp (Å) (half the skin)
 *  disp      3n f64 scratch
 * Displacements are taken to the nearest image (an atom that was re-wrapped by a lattice vector
 * is not a move). Returns 0, 1 (non-finite), or 8 (some atom moved too far: rebuild).
 */
export function nl_refresh(
  n: i32, nExt: i32, cell: usize, frac: usize, fracRef: usize, owner: usize,
  extRef: usize, extPos: usize, maxDisp: f64, disp: usize,
): i32 {
  const c0 = ld(cell, 0), c1 = ld(cell, 1), c2 = ld(cell, 2);
  const c3 = ld(cell, 3), c4 = ld(cell, 4), c5 = ld(cell, 5);
  const c6 = ld(cell, 6), c7 = ld(cell, 7), c8 = ld(cell, 8);
  const lim = maxDisp * maxDisp;
  // (x, y) in f64x2 lanes, z scalar; the same operations in the same order as the scalar form
  const cxy0 = f64x2.replace_lane(f64x2.splat(c0), 1, c1);
  const cxy1 = f64x2.replace_lane(f64x2.splat(c3), 1, c4);
  const cxy2 = f64x2.replace_lane(f64x2.splat(c6), 1, c7);
  for (let a = 0; a < n; a++) {
    const pa = <usize>a * 24;
    let d01 = f64x2.sub(v128.load(frac + pa), v128.load(fracRef + pa));
    let d2 = load<f64>(frac + pa, 16) - load<f64>(fracRef + pa, 16);
    d01 = f64x2.sub(d01, f64x2.nearest(d01));
    d2 -= nearest(d2);
    const d0 = f64x2.extract_lane(d01, 0), d1 = f64x2.extract_lane(d01, 1);
    const xy = f64x2.add(f64x2.add(f64x2.mul(f64x2.splat(d0), cxy0), f64x2.mul(f64x2.splat(d1), cxy1)), f64x2.mul(f64x2.splat(d2), cxy2));
    const z = d0 * c2 + d1 * c5 + d2 * c8;
    const x = f64x2.extract_lane(xy, 0), y = f64x2.extract_lane(xy, 1);
    if (!(x * x + y * y + z * z < lim)) {
      const e0 = ld(frac, 3 * a) - ld(fracRef, 3 * a);
      const e1 = ld(frac, 3 * a + 1) - ld(fracRef, 3 * a + 1);
      const e2 = ld(frac, 3 * a + 2) - ld(fracRef, 3 * a + 2);
      return isFinite(e0) && isFinite(e1) && isFinite(e2) ? ST_REBUILD : ST_NONFINITE;
    }
    v128.store(disp + pa, xy);
    store<f64>(disp + pa, z, 16);
  }
  for (let q = 0; q < nExt; q++) {
    const pq = <usize>q * 24;
    const pa = <usize>ldi(owner, q) * 24;
    v128.store(extPos + pq, f64x2.add(v128.load(extRef + pq), v128.load(disp + pa)));
    store<f64>(extPos + pq, load<f64>(extRef + pq, 16) + load<f64>(disp + pa, 16), 16);
  }
  return ST_OK;
}
