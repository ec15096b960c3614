// Counter-based random numbers: Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random
// numbers: as easy as 1, 2, 3", SC'11), written from the paper's description.
//
// Philox4x32 bijection on a 128-bit counter (x0, x1, x2, x3) with a 64-bit key (k0, k1); one round:
//   (hi0, lo0) = M0 * x0          (64-bit product of two u32, M0 = 0xD2511F53)
//   (hi1, lo1) = M1 * x2          (M1 = 0xCD9E8D57)
//   (x0, x1, x2, x3) <- (hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0)
// and between rounds the key is bumped by the Weyl constants (k0 += 0x9E3779B9, k1 += 0xBB67AE85).
// Ten rounds.
//
// Layout used by this module (see docs/random.md):
//   key     = seed (k0 = low 32 bits, k1 = high 32 bits)
//   counter = (block index low, block index high | domain << 31, stream low, stream high)
//   domain 0: uniforms, domain 1: normals (so the two kinds never share blocks).
// A block gives 4 u32 = two 64-bit words w = x[2h] | x[2h+1] << 32 (h = 0, 1).
//   uniform i  : block i >> 1, word i & 1, u = (2 * (w >> 12) + 1) * 2^-53, in (0, 1)
//   normals 2j, 2j+1 : block j (domain 1), u1 from word 0, u2 from word 1, Box-Muller
//     r = sqrt(-2 ln u1), t = 2 pi u2, z_2j = r cos t, z_2j+1 = r sin t
// Every value depends only on (seed, stream, index), so any chunking of [offset, offset + n) gives
// the same numbers. u64 parameters arrive from JavaScript as BigInt. The caller keeps
// offset + n <= 2^64 (src/random/rng.ts checks it), so block indices stay below 2^63.

const M0: u64 = 0xD2511F53;
const M1: u64 = 0xCD9E8D57;
const W0: u32 = 0x9E3779B9;
const W1: u32 = 0xBB67AE85;
const DOMAIN_NORMAL: u32 = 0x80000000;
const INV_2_53: f64 = 1.1102230246251565e-16; // 2^-53

// Output of the last block (module globals: cheaper than memory for four words).
let y0: u32 = 0;
let y1: u32 = 0;
let y2: u32 = 0;
let y3: u32 = 0;

/** Philox4x32-10 of counter (c0..c3) under key (k0, k1), into y0..y3. */
// @ts-ignore: decorator
@inline
function philox(k0: u32, k1: u32, c0: u32, c1: u32, c2: u32, c3: u32): void {
  let x0 = c0, x1 = c1, x2 = c2, x3 = c3;
  for (let r = 0; r < 10; r++) {
    const p0 = M0 * <u64>x0;
    const p1 = M1 * <u64>x2;
    const n0 = <u32>(p1 >>> 32) ^ x1 ^ k0;
    const n2 = <u32>(p0 >>> 32) ^ x3 ^ k1;
    x1 = <u32>p1;
    x3 = <u32>p0;
    x0 = n0;
    x2 = n2;
    k0 += W0; // key schedule: bumped after every round (the last bump is unused)
    k1 += W1;
  }
  y0 = x0;
  y1 = x1;
  y2 = x2;
  y3 = x3;
}

/** Eight consecutive blocks at once (block indices b .. b+7; carries from the low word are
 *  propagated), one block per 32-bit lane, as two independent groups of four so that the two
 *  dependency chains overlap: Y0..Y3 hold words x0..x3 of blocks b..b+3, V0..V3 of b+4..b+7.
 *  Same arithmetic as `philox`, so the bits are identical. */
let Y0: v128 = v128.splat<i32>(0);
let Y1: v128 = v128.splat<i32>(0);
let Y2: v128 = v128.splat<i32>(0);
let Y3: v128 = v128.splat<i32>(0);
let V0: v128 = v128.splat<i32>(0);
let V1: v128 = v128.splat<i32>(0);
let V2: v128 = v128.splat<i32>(0);
let V3: v128 = v128.splat<i32>(0);

// @ts-ignore: decorator
@inline
function philox8(k0: u32, k1: u32, block: u64, domain: u32, s0: u32, s1: u32): void {
  const vlo = i32x4.splat(<u32>block);
  const vhi = i32x4.splat(<u32>(block >>> 32) | domain);
  let a0 = i32x4.add(vlo, i32x4(0, 1, 2, 3));
  let b0 = i32x4.add(vlo, i32x4(4, 5, 6, 7));
  // Lanes whose low word wrapped around carry 1 into the high word (mask lanes are -1).
  let a1 = i32x4.sub(vhi, i32x4.lt_u(a0, vlo));
  let b1 = i32x4.sub(vhi, i32x4.lt_u(b0, vlo));
  let a2 = i32x4.splat(s0), b2 = a2;
  let a3 = i32x4.splat(s1), b3 = a3;
  const m0 = i32x4.splat(<u32>M0);
  const m1 = i32x4.splat(<u32>M1);
  let kv0 = i32x4.splat(k0);
  let kv1 = i32x4.splat(k1);
  for (let r = 0; r < 10; r++) {
    const pa0 = v128.extmul_low<u32>(a0, m0); // lanes 0,1 as full 64-bit products
    const qa0 = v128.extmul_high<u32>(a0, m0); // lanes 2,3
    const pa1 = v128.extmul_low<u32>(a2, m1);
    const qa1 = v128.extmul_high<u32>(a2, m1);
    const pb0 = v128.extmul_low<u32>(b0, m0);
    const qb0 = v128.extmul_high<u32>(b0, m0);
    const pb1 = v128.extmul_low<u32>(b2, m1);
    const qb1 = v128.extmul_high<u32>(b2, m1);
    const na0 = v128.xor(v128.xor(i32x4.shuffle(pa1, qa1, 1, 3, 5, 7), a1), kv0);
    const na2 = v128.xor(v128.xor(i32x4.shuffle(pa0, qa0, 1, 3, 5, 7), a3), kv1);
    const nb0 = v128.xor(v128.xor(i32x4.shuffle(pb1, qb1, 1, 3, 5, 7), b1), kv0);
    const nb2 = v128.xor(v128.xor(i32x4.shuffle(pb0, qb0, 1, 3, 5, 7), b3), kv1);
    a1 = i32x4.shuffle(pa1, qa1, 0, 2, 4, 6);
    a3 = i32x4.shuffle(pa0, qa0, 0, 2, 4, 6);
    b1 = i32x4.shuffle(pb1, qb1, 0, 2, 4, 6);
    b3 = i32x4.shuffle(pb0, qb0, 0, 2, 4, 6);
    a0 = na0;
    a2 = na2;
    b0 = nb0;
    b2 = nb2;
    kv0 = i32x4.add(kv0, i32x4.splat(W0));
    kv1 = i32x4.add(kv1, i32x4.splat(W1));
  }
  Y0 = a0; Y1 = a1; Y2 = a2; Y3 = a3;
  V0 = b0; V1 = b1; V2 = b2; V3 = b3;
}

// 1 - 2^-53: (1 + k 2^-52) - (1 - 2^-53) = (2k + 1) 2^-53 exactly.
const ONE_MINUS_HALF_ULP: f64 = 0.99999999999999988898;
const EXP_ONE: i64 = 0x3FF0000000000000;

/** (0,1) from a 64-bit word: its top 52 bits k give (2k + 1) * 2^-53 (exact; never 0 or 1). */
// @ts-ignore: decorator
@inline
function toUnit(lo: u32, hi: u32): f64 {
  const w = (<u64>hi << 32) | <u64>lo;
  return <f64>(((w >>> 12) << 1) | 1) * INV_2_53;
}

/** Two 64-bit words (i64x2 lanes) to two uniforms, bit-identical to `toUnit`. */
// @ts-ignore: decorator
@inline
function toUnit2(w: v128): v128 {
  const d = v128.or(i64x2.shr_u(w, 12), i64x2.splat(EXP_ONE)); // 1 + k 2^-52 in [1, 2)
  return f64x2.sub(d, f64x2.splat(ONE_MINUS_HALF_ULP));
}

/** The eight uniforms of four blocks (lanes of x0..x3), in block order, to p[0..7]. */
// @ts-ignore: decorator
@inline
function storeUnits(p: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  const a01 = i32x4.shuffle(x0, x1, 0, 4, 1, 5); // word 0 of blocks 0, 1
  const b01 = i32x4.shuffle(x2, x3, 0, 4, 1, 5); // word 1 of blocks 0, 1
  const a23 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const b23 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(p, toUnit2(i64x2.shuffle(a01, b01, 0, 2)));
  v128.store(p, toUnit2(i64x2.shuffle(a01, b01, 1, 3)), 16);
  v128.store(p, toUnit2(i64x2.shuffle(a23, b23, 0, 2)), 32);
  v128.store(p, toUnit2(i64x2.shuffle(a23, b23, 1, 3)), 48);
}

/** Raw Philox4x32-10 block (for known-answer tests): writes 4 u32 at `out`. */
export function philoxBlock(seed_lo: u32, seed_hi: u32, c0: u32, c1: u32, c2: u32, c3: u32, out: usize): void {
  philox(seed_lo, seed_hi, c0, c1, c2, c3);
  store<u32>(out, y0);
  store<u32>(out, y1, 4);
  store<u32>(out, y2, 8);
  store<u32>(out, y3, 12);
}

/** Uniform doubles in (0, 1): out[t] = uniform number (offset + t) of stream `stream` of `seed`. */
export function rngUniform(seed: u64, stream: u64, offset: u64, n: i32, out: usize): void {
  if (n <= 0) return;
  const k0 = <u32>seed, k1 = <u32>(seed >>> 32);
  const s0 = <u32>stream, s1 = <u32>(stream >>> 32);
  let block = offset >>> 1;
  let t: i32 = 0;
  let p = out;
  if (offset & 1) {
    // Odd start: the second word of the first block.
    philox(k0, k1, <u32>block, <u32>(block >>> 32), s0, s1);
    store<f64>(p, toUnit(y2, y3));
    p += 8;
    t = 1;
    block++;
  }
  // Eight blocks (sixteen values) at a time.
  for (; t + 15 < n; t += 16) {
    philox8(k0, k1, block, 0, s0, s1);
    storeUnits(p, Y0, Y1, Y2, Y3);
    storeUnits(p + 64, V0, V1, V2, V3);
    p += 128;
    block += 8;
  }
  for (; t + 1 < n; t += 2) {
    philox(k0, k1, <u32>block, <u32>(block >>> 32), s0, s1);
    store<f64>(p, toUnit(y0, y1));
    store<f64>(p, toUnit(y2, y3), 8);
    p += 16;
    block++;
  }
  if (t < n) {
    philox(k0, k1, <u32>block, <u32>(block >>> 32), s0, s1);
    store<f64>(p, toUnit(y0, y1));
  }
}

// Box-Muller pair of one block: u1 from word 0, the angle from word 1 (u2 = (2k + 1) 2^-53):
//   r = sqrt(-2 ln u1), t = 2 pi u2, (z0, z1) = (r cos t, r sin t).
// The angle is reduced to its octant exactly, in integers, before Math.sin/Math.cos are called:
// with m = 2k + 1 (53 bits), octant o = m >> 50 and g = m mod 2^50 (odd), t = (o + g 2^-50) pi/4.
// On an even octant psi = g 2^-50 pi/4, on an odd one psi = (2^50 - g) 2^-50 pi/4, so psi is in
// (0, pi/4) and (cos t, sin t) is (+-cos psi, +-sin psi) or (+-sin psi, +-cos psi) by the usual
// symmetries. The selects are done on bits, without branches (the octant is random).
let zc: f64 = 0;
let zs: f64 = 0;
const PI_4_2M50: f64 = 0.78539816339744830962 / 1125899906842624.0; // (pi/4) * 2^-50, exact scaling
const LOW50: u64 = 0x3FFFFFFFFFFFF;

// @ts-ignore: decorator
@inline
function boxMuller(u1: f64, w2: u64): void {
  const r = Math.sqrt(-2.0 * Math.log(u1));
  const k = w2 >>> 12;
  const o = <i32>(k >>> 49); // octant 0..7
  const g = ((k << 1) | 1) & LOW50; // odd, in (0, 2^50)
  const odd = -<i64>(o & 1); // all ones on odd octants
  const h = <i64>g ^ ((<i64>g ^ (<i64>(LOW50 + 1) - <i64>g)) & odd); // g or 2^50 - g
  const psi = <f64>h * PI_4_2M50;
  const cb = reinterpret<i64>(Math.cos(psi));
  const sb = reinterpret<i64>(Math.sin(psi));
  const swap = -<i64>(((o + 1) >> 1) & 1); // octants 1, 2, 5, 6 exchange cos and sin
  const cosBits = (cb & ~swap) | (sb & swap);
  const sinBits = (sb & ~swap) | (cb & swap);
  const cosSign = <i64>(((o + 2) >> 2) & 1) << 63; // cos < 0 on octants 2..5
  const sinSign = <i64>(o >> 2) << 63; // sin < 0 on octants 4..7
  zc = r * reinterpret<f64>(cosBits ^ cosSign);
  zs = r * reinterpret<f64>(sinBits ^ sinSign);
}

/** The eight normals of four blocks (lanes of x0..x3), in block order, to p[0..7]. */
// @ts-ignore: decorator
@inline
function normalsOf4(p: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  const u1a = toUnit2(i32x4.shuffle(x0, x1, 0, 4, 1, 5)); // u1 of blocks 0, 1
  const w2a = i32x4.shuffle(x2, x3, 0, 4, 1, 5); // word 1 of blocks 0, 1
  const u1b = toUnit2(i32x4.shuffle(x0, x1, 2, 6, 3, 7)); // blocks 2, 3
  const w2b = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  boxMuller(f64x2.extract_lane(u1a, 0), i64x2.extract_lane(w2a, 0));
  store<f64>(p, zc);
  store<f64>(p, zs, 8);
  boxMuller(f64x2.extract_lane(u1a, 1), i64x2.extract_lane(w2a, 1));
  store<f64>(p, zc, 16);
  store<f64>(p, zs, 24);
  boxMuller(f64x2.extract_lane(u1b, 0), i64x2.extract_lane(w2b, 0));
  store<f64>(p, zc, 32);
  store<f64>(p, zs, 40);
  boxMuller(f64x2.extract_lane(u1b, 1), i64x2.extract_lane(w2b, 1));
  store<f64>(p, zc, 48);
  store<f64>(p, zs, 56);
}

/** Standard normal deviates: out[t] = normal number (offset + t) of stream `stream` of `seed`. */
export function rngNormal(seed: u64, stream: u64, offset: u64, n: i32, out: usize): void {
  if (n <= 0) return;
  const k0 = <u32>seed, k1 = <u32>(seed >>> 32);
  const s0 = <u32>stream, s1 = <u32>(stream >>> 32);
  let pair = offset >>> 1;
  let t: i32 = 0;
  let p = out;
  if (offset & 1) {
    philox(k0, k1, <u32>pair, <u32>(pair >>> 32) | DOMAIN_NORMAL, s0, s1);
    boxMuller(toUnit(y0, y1), (<u64>y3 << 32) | <u64>y2);
    store<f64>(p, zs);
    p += 8;
    t = 1;
    pair++;
  }
  for (; t + 15 < n; t += 16) {
    philox8(k0, k1, pair, DOMAIN_NORMAL, s0, s1);
    normalsOf4(p, Y0, Y1, Y2, Y3);
    normalsOf4(p + 64, V0, V1, V2, V3);
    p += 128;
    pair += 8;
  }
  for (; t + 1 < n; t += 2) {
    philox(k0, k1, <u32>pair, <u32>(pair >>> 32) | DOMAIN_NORMAL, s0, s1);
    boxMuller(toUnit(y0, y1), (<u64>y3 << 32) | <u64>y2);
    store<f64>(p, zc);
    store<f64>(p, zs, 8);
    p += 16;
    pair++;
  }
  if (t < n) {
    philox(k0, k1, <u32>pair, <u32>(pair >>> 32) | DOMAIN_NORMAL, s0, s1);
    boxMuller(toUnit(y0, y1), (<u64>y3 << 32) | <u64>y2);
    store<f64>(p, zc);
  }
}
