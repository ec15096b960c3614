// Tests of the Philox4x32-10 generator (assembly/random/rng.ts) and its wrapper (src/random/rng.ts).
//
// Known-answer vectors (Philox4x32, 10 rounds; counter words c0..c3, key words k0, k1):
//  - the three "official" vectors (zero; all ones; digits of pi) are the ones of Random123's own
//    tests, as cited by TensorFlow in tensorflow/tensorflow,
//    tensorflow/compiler/tests/stateful_random_ops_test.py (testPhilox4x32), which points at
//    DEShawResearch/Random123-Boost libs/random/test/test_philox.cpp lines 50-52;
//  - the others are rows "philox4x32 10 ..." of the Random123 kat_vectors file as kept in
//    girving/random123-manual, examples/kat_vectors (columns: CTR c0 c1 c2 c3, KEY k0 k1, EXPECTED).
// Statistical tests use a fixed seed, so they are deterministic; their thresholds are 5 standard
// errors (moments, correlations) or the 0.1 % critical value (Kolmogorov-Smirnov).
import { beforeAll, describe, expect, it } from 'vitest';
import { freshKernels, loadKernels } from '../../src/node/kernels.js';
import { philox4x32, Rng } from '../../src/random/rng.js';
import type { Kernels } from '../../src/wasm/kernels.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels(process.env.RNG_WASM);
});

type Kat = [counter: [number, number, number, number], key: [number, number], out: [number, number, number, number]];

const OFFICIAL_KATS: Kat[] = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

const MANUAL_KATS: Kat[] = [
  [[0x00000001, 0, 0, 0], [0x00000001, 0], [0xac08141b, 0xdfc5ccbe, 0x79c07a47, 0xa7f66093]],
  [[0, 0x00000001, 0, 0], [0x00000001, 0], [0x833ff8dc, 0x225c963c, 0x232b88b3, 0x0b334b07]],
  [[0, 0, 0, 0x80000000], [0x00000001, 0], [0xdde26e4e, 0x17666f3b, 0xfc1f5b3a, 0x83ac805d]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0x00000001, 0], [0x38527b8f, 0xfad9a48c, 0x20e675c0, 0xf2fea26a]],
  [[0, 0, 0xffffffff, 0], [0, 0x00000001], [0x576241af, 0xd3b45bee, 0x619bd94d, 0x15dd8793]],
  [[0xa4093822, 0x299f31d0, 0x082efa98, 0xec4e6c89], [0, 0x00000001], [0x1c28fa3f, 0x8c5bf977, 0xbb989783, 0x0c1a3737]],
  [[0, 0xffffffff, 0, 0], [0, 0xffffffff], [0x5f9c47aa, 0x19861d86, 0xff2be81d, 0x4c7db17e]],
  [[0x452821e6, 0x38d01377, 0xbe5466cf, 0x34e90c6c], [0, 0xffffffff], [0x72ce44b3, 0xb44f9b78, 0x49af0267, 0x726813ac]],
  [[0, 0, 0, 0x80000000], [0, 0x80000000], [0xf7a0b371, 0xe51dc93d, 0x56ce135d, 0x1d4b5580]],
];

const hex = (w: ArrayLike<number>) => Array.from(w, (v) => (v >>> 0).toString(16).padStart(8, '0')).join(' ');

describe('Philox4x32-10 known-answer vectors', () => {
  it('matches the Random123 vectors (zero, all ones, pi digits)', () => {
    for (const [c, key, out] of OFFICIAL_KATS) expect(hex(philox4x32(k, c, key))).toBe(hex(out));
  });
  it('matches more rows of the Random123 kat_vectors file', () => {
    for (const [c, key, out] of MANUAL_KATS) expect(hex(philox4x32(k, c, key))).toBe(hex(out));
  });
});

// ---- independent JS reconstruction of the documented layout, from raw Philox blocks ----------

const lo32 = (x: bigint) => Number(x & 0xffffffffn);
const hi32 = (x: bigint) => Number((x >> 32n) & 0xffffffffn);

function block(seed: bigint, stream: bigint, index: bigint, domain: 0 | 1): Uint32Array {
  return philox4x32(k, [lo32(index), (hi32(index) | (domain ? 0x80000000 : 0)) >>> 0, lo32(stream), hi32(stream)], [lo32(seed), hi32(seed)]);
}

/** (2k + 1) 2^-53 from the 64-bit word (lo, hi), k = its top 52 bits. */
function unit(lo: number, hi: number): number {
  const k52 = (BigInt(hi >>> 0) << 20n) | BigInt((lo >>> 0) >>> 12);
  return (2 * Number(k52) + 1) * 2 ** -53;
}

function refUniform(seed: bigint, stream: bigint, i: bigint): number {
  const b = block(seed, stream, i >> 1n, 0);
  return i & 1n ? unit(b[2], b[3]) : unit(b[0], b[1]);
}

function refNormal(seed: bigint, stream: bigint, i: bigint): number {
  const b = block(seed, stream, i >> 1n, 1);
  const r = Math.sqrt(-2 * Math.log(unit(b[0], b[1])));
  const t = 2 * Math.PI * unit(b[2], b[3]);
  return i & 1n ? r * Math.sin(t) : r * Math.cos(t);
}

describe('counter layout (docs/random.md), rebuilt in JS from raw blocks', () => {
  const seed = 0x0123456789abcdefn;
  const stream = 0xfedcba9876543210n;
  // Offsets near 2^33 make the block index cross 2^32 inside a vector group (carry into c1).
  const offsets = [0n, 1n, 7n, (1n << 33n) - 11n, (1n << 64n) - 40n];

  it('uniform i = (2k+1) 2^-53 from word (i & 1) of block i >> 1, domain 0', () => {
    const rng = new Rng(k, seed, stream);
    for (const off of offsets) {
      const got = rng.uniform(37, off);
      for (let t = 0; t < 37; t++) expect(got[t]).toBe(refUniform(seed, stream, off + BigInt(t)));
    }
  });

  it('normal i = Box-Muller of block i >> 1 in domain 1 (cos for even i, sin for odd i)', () => {
    const rng = new Rng(k, seed, stream);
    for (const off of offsets) {
      const got = rng.normal(37, off);
      for (let t = 0; t < 37; t++) {
        const want = refNormal(seed, stream, off + BigInt(t));
        // JS Math and the module's Math differ in the last bits; the angle is also rounded differently.
        expect(Math.abs(got[t] - want)).toBeLessThan(1e-13);
      }
    }
  });
});

// ---- reproducibility and random access -------------------------------------------------------

function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('reproducibility', () => {
  it('same seed and stream give identical bits, across instances of the module', async () => {
    const k2 = await freshKernels(process.env.RNG_WASM);
    for (const seed of [0, 1, 42, 2 ** 53 - 1]) {
      for (const stream of [0, 3]) {
        expect(sameBits(new Rng(k, seed, stream).normal(1001), new Rng(k2, seed, stream).normal(1001))).toBe(true);
        expect(sameBits(new Rng(k, seed, stream).uniform(1001), new Rng(k2, seed, stream).uniform(1001))).toBe(true);
      }
    }
  });

  it('number and bigint seeds are the same seed', () => {
    expect(sameBits(new Rng(k, 12345).normal(50), new Rng(k, 12345n).normal(50))).toBe(true);
    expect(sameBits(new Rng(k, 7, 9).uniform(50), new Rng(k, 7n, 9n).uniform(50))).toBe(true);
  });

  it('different seeds or streams give different numbers', () => {
    const base = new Rng(k, 42, 0).normal(1000);
    for (const [seed, stream] of [[43, 0], [42, 1], [42n + (1n << 32n), 0], [42, 1n << 32n]] as const) {
      const other = new Rng(k, seed, stream).normal(1000);
      let equal = 0;
      for (let i = 0; i < 1000; i++) if (base[i] === other[i]) equal++;
      expect(equal).toBe(0);
    }
  });

  it('golden values (guards the algorithm against silent changes)', () => {
    const rng = new Rng(k, 42);
    const u = rng.uniform(4);
    const z = rng.normal(4);
    // Checked against the independent JS reconstruction above when recorded.
    for (let i = 0; i < 4; i++) expect(u[i]).toBe(refUniform(42n, 0n, BigInt(i)));
    expect(Array.from(u)).toEqual(GOLDEN_U);
    expect(Array.from(z)).toEqual(GOLDEN_Z);
  });
});

const GOLDEN_U = [0.46858651833910503, 0.3408615493851789, 0.32706338120338485, 0.4543156017348883];
const GOLDEN_Z = [-0.7267172952265124, -1.4832045876457616, -0.5248964138051361, -0.5035293999802009];

describe('chunking invariance (value i depends only on seed, stream, i)', () => {
  const cases: [string, (r: Rng, n: number, off: bigint) => Float64Array][] = [
    ['uniform', (r, n, off) => r.uniform(n, off)],
    ['normal', (r, n, off) => r.normal(n, off)],
  ];
  for (const [name, gen] of cases) {
    it(`${name}: one call equals the concatenation of odd-sized pieces at odd offsets`, () => {
      const rng = new Rng(k, 2024, 5);
      for (const start of [0n, 3n, (1n << 33n) - 17n]) {
        const whole = gen(rng, 1000, start);
        const pieces = [1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 1, 127, 129, 255];
        const parts = new Float64Array(1000);
        let at = 0;
        for (let i = 0; at < 1000; i++) {
          const len = Math.min(pieces[i % pieces.length], 1000 - at);
          parts.set(gen(rng, len, start + BigInt(at)), at);
          at += len;
        }
        expect(sameBits(whole, parts)).toBe(true);
        // And element by element (the scalar path only).
        for (let t = 0; t < 1000; t += 37) expect(Object.is(gen(rng, 1, start + BigInt(t))[0], whole[t])).toBe(true);
      }
    });
  }

  it('cursors: calls without offset continue the sequence; an offset seeks', () => {
    const a = new Rng(k, 77);
    const x = a.normal(10);
    const y = a.normal(11);
    const all = new Rng(k, 77).normal(21);
    expect(sameBits(all, Float64Array.from([...x, ...y]))).toBe(true);
    expect(a.normalPosition).toBe(21n);
    expect(a.uniformPosition).toBe(0n);
    a.normal(2, 100);
    expect(a.normalPosition).toBe(102n);
    expect(sameBits(a.normal(3), new Rng(k, 77).normal(3, 102))).toBe(true);
  });

  it('fillNormal and fillUniform write the same numbers into kernel memory', () => {
    const rng = new Rng(k, 31337, 2);
    k.scope(() => {
      const b = k.f64(100);
      rng.fillNormal(b, 11);
      expect(sameBits(b.toArray(), rng.normal(100, 11))).toBe(true);
      b.view.fill(-1);
      rng.fillUniform(b, 5, 50, 20);
      const v = b.toArray();
      expect(v[19]).toBe(-1);
      expect(v[70]).toBe(-1);
      expect(sameBits(v.subarray(20, 70), rng.uniform(50, 5))).toBe(true);
      expect(() => rng.fillNormal(b, 0, 90, 20)).toThrow(/exceed the buffer/);
    });
    expect(k.liveBuffers).toBe(0);
  });
});

// ---- distributions ---------------------------------------------------------------------------

/** erfc(x), x >= 0, from the Chebyshev-fitted form t exp(-x^2 + P(t)), t = 1/(1 + x/2)
 *  (fractional error below 1.2e-7 everywhere: plenty for a KS test at N = 1e6). */
function erfcPos(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const p =
    -x * x - 1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
    t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(p);
}

function normalCdf(x: number): number {
  const e = 0.5 * erfcPos(Math.abs(x) / Math.SQRT2);
  return x >= 0 ? 1 - e : e;
}

function ksStatistic(sample: Float64Array, cdf: (x: number) => number): number {
  const s = sample.slice().sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i]);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  }
  return d;
}

function correlation(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i] - mx, b = y[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxy / Math.sqrt(sxx * syy);
}

const N = 1_000_000;
const KS_CRIT_001 = 1.95 / Math.sqrt(N); // 0.1 % critical value of the one-sample KS statistic

describe('distributions (N = 10^6, fixed seed)', () => {
  it('uniforms are strictly inside (0, 1), on the (2k+1) 2^-53 grid, and uniform (KS, mean)', () => {
    const u = new Rng(k, 20240607).uniform(N);
    let min = 1, max = 0, sum = 0;
    for (let i = 0; i < N; i++) {
      const v = u[i];
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    expect(min).toBeGreaterThan(0);
    expect(max).toBeLessThan(1);
    for (let i = 0; i < 1000; i++) {
      const m = u[i] * 2 ** 53; // exact
      expect(Number.isInteger(m) && m % 2 === 1).toBe(true);
    }
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(ksStatistic(u, (x) => x)).toBeLessThan(KS_CRIT_001);
  });

  it('normals: mean 0, variance 1, skewness 0, kurtosis 3 within 5 standard errors', () => {
    const z = new Rng(k, 20240607).normal(N);
    let s1 = 0;
    for (let i = 0; i < N; i++) s1 += z[i];
    const mean = s1 / N;
    let m2 = 0, m3 = 0, m4 = 0;
    for (let i = 0; i < N; i++) {
      const d = z[i] - mean;
      const d2 = d * d;
      m2 += d2;
      m3 += d2 * d;
      m4 += d2 * d2;
    }
    m2 /= N;
    m3 /= N;
    m4 /= N;
    const skew = m3 / m2 ** 1.5;
    const kurt = m4 / (m2 * m2);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(m2 - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    expect(Math.abs(skew)).toBeLessThan(5 * Math.sqrt(6 / N));
    expect(Math.abs(kurt - 3)).toBeLessThan(5 * Math.sqrt(24 / N));
    for (let i = 0; i < N; i++) if (!Number.isFinite(z[i])) throw new Error(`non-finite normal at ${i}`);
  });

  it('normals pass a Kolmogorov-Smirnov test against the normal CDF', () => {
    const z = new Rng(k, 99).normal(N);
    expect(ksStatistic(z, normalCdf)).toBeLessThan(KS_CRIT_001);
    // The even (cos) and odd (sin) halves separately, too.
    const even = new Float64Array(N / 2), odd = new Float64Array(N / 2);
    for (let i = 0; i < N / 2; i++) {
      even[i] = z[2 * i];
      odd[i] = z[2 * i + 1];
    }
    expect(ksStatistic(even, normalCdf)).toBeLessThan(1.95 / Math.sqrt(N / 2));
    expect(ksStatistic(odd, normalCdf)).toBeLessThan(1.95 / Math.sqrt(N / 2));
  });

  it('streams, seeds and the two kinds are uncorrelated (|r| < 5/sqrt(N))', () => {
    const bound = 5 / Math.sqrt(N);
    const a = new Rng(k, 5, 0).normal(N);
    expect(Math.abs(correlation(a, new Rng(k, 5, 1).normal(N)))).toBeLessThan(bound);
    expect(Math.abs(correlation(a, new Rng(k, 6, 0).normal(N)))).toBeLessThan(bound);
    expect(Math.abs(correlation(a, new Rng(k, 5, 0).uniform(N)))).toBeLessThan(bound);
    // Neighbours inside one stream (the cos/sin pair of one block, and lag 1 across blocks).
    const x = new Float64Array(N / 2), y = new Float64Array(N / 2), w = new Float64Array(N / 2 - 1), v = new Float64Array(N / 2 - 1);
    for (let i = 0; i < N / 2; i++) {
      x[i] = a[2 * i];
      y[i] = a[2 * i + 1];
    }
    for (let i = 0; i < N / 2 - 1; i++) {
      w[i] = a[2 * i + 1];
      v[i] = a[2 * i + 2];
    }
    expect(Math.abs(correlation(x, y))).toBeLessThan(5 / Math.sqrt(N / 2));
    expect(Math.abs(correlation(w, v))).toBeLessThan(5 / Math.sqrt(N / 2));
  });
});

// ---- argument checking -----------------------------------------------------------------------

describe('Rng argument checking', () => {
  it('accepts seeds and streams in [0, 2^64) as numbers (safe integers) or bigints', () => {
    expect(new Rng(k, 0).seed).toBe(0n);
    expect(new Rng(k, 2 ** 53 - 1).seed).toBe(2n ** 53n - 1n);
    expect(new Rng(k, (1n << 64n) - 1n, (1n << 64n) - 1n).normal(3).every(Number.isFinite)).toBe(true);
  });

  it('rejects bad seeds, streams, offsets and counts with clear errors', () => {
    expect(() => new Rng(k, -1)).toThrow(/seed must be a non-negative integer/);
    expect(() => new Rng(k, 1.5)).toThrow(/seed must be a non-negative integer/);
    expect(() => new Rng(k, NaN)).toThrow(/seed must be a non-negative integer/);
    expect(() => new Rng(k, 2 ** 60)).toThrow(/pass a bigint/);
    expect(() => new Rng(k, 1n << 64n)).toThrow(/seed must be in \[0, 2\^64\)/);
    expect(() => new Rng(k, -1n)).toThrow(/seed must be in/);
    expect(() => new Rng(k, 1, -2)).toThrow(/stream must be a non-negative integer/);
    const r = new Rng(k, 1);
    expect(() => r.normal(-1)).toThrow(/count must be an integer/);
    expect(() => r.normal(2.5)).toThrow(/count must be an integer/);
    expect(() => r.uniform(3, -1)).toThrow(/offset must be a non-negative integer/);
    expect(() => r.uniform(3, (1n << 64n) - 2n)).toThrow(/past the end of the stream/);
    expect(r.uniform(2, (1n << 64n) - 2n).length).toBe(2);
    expect(r.normal(0).length).toBe(0);
    expect(k.liveBuffers).toBe(0);
  });
});
