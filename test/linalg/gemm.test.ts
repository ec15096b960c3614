// Tests of the dgemm kernel and its TypeScript wrappers.
// Two references in plain JS:
//  - refOrdered: the kernel's documented summation order (per KC = 256 chunk of k, a running sum
//    from 0 in increasing p; chunk 0 gives alpha*s + beta*C, later chunks alpha*s + C). JS never
//    fuses a*b+c and WebAssembly f64x2 has no FMA, so the kernel must match it bit for bit.
//  - refAccurate: the same product with Neumaier-compensated sums, for an accuracy check with
//    tolerance 1e-13 * (|alpha| * k * max|A| * max|B| + |beta| * max|C|).
import { beforeAll, describe, expect, it } from 'vitest';
import { gemm, gemmBuffers } from '../../src/linalg/gemm.js';
import { loadKernels } from '../../src/node/kernels.js';
import type { Kernels } from '../../src/wasm/kernels.js';
import { centered, xorshift32 } from '../helpers/random.js';

const KC = 256;

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels(process.env.GEMM_WASM);
});

const rng = (seed: number) => centered(xorshift32((seed * 2654435761) >>> 0));

function randomArray(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = r() * 2;
  return out;
}

interface Case {
  tA: boolean;
  tB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  A: Float64Array;
  lda: number;
  B: Float64Array;
  ldb: number;
  C: Float64Array; // initial C
  ldc: number;
}

const opA = (c: Case, i: number, p: number) => (c.tA ? c.A[p * c.lda + i] : c.A[i * c.lda + p]);
const opB = (c: Case, p: number, j: number) => (c.tB ? c.B[j * c.ldb + p] : c.B[p * c.ldb + j]);

function refOrdered(c: Case): Float64Array {
  const C = c.C.slice();
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      const q = i * c.ldc + j;
      if (c.k === 0 || c.alpha === 0) {
        C[q] = c.beta === 0 ? 0 : c.beta === 1 ? C[q] : c.beta * C[q];
        continue;
      }
      for (let pc = 0; pc < c.k; pc += KC) {
        const kc = Math.min(KC, c.k - pc);
        let s = 0;
        for (let p = pc; p < pc + kc; p++) s += opA(c, i, p) * opB(c, p, j);
        if (pc === 0) C[q] = c.beta === 0 ? c.alpha * s : c.alpha * s + c.beta * C[q];
        else C[q] = c.alpha * s + C[q];
      }
    }
  }
  return C;
}

function refAccurate(c: Case): Float64Array {
  const C = c.C.slice();
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      let s = 0;
      let comp = 0;
      for (let p = 0; p < c.k; p++) {
        const x = opA(c, i, p) * opB(c, p, j);
        const t = s + x;
        comp += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
        s = t;
      }
      const q = i * c.ldc + j;
      C[q] = c.alpha * (s + comp) + (c.beta === 0 ? 0 : c.beta * C[q]);
    }
  }
  return C;
}

function maxAbs(x: Float64Array): number {
  let m = 0;
  for (const v of x) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
}

function makeCase(
  tA: boolean, tB: boolean, m: number, n: number, kk: number,
  opts: { alpha?: number; beta?: number; pad?: number; seed?: number; cFill?: number } = {},
): Case {
  const pad = opts.pad ?? 0;
  const seed = opts.seed ?? m * 1000003 + n * 1009 + kk + (tA ? 7 : 0) + (tB ? 13 : 0);
  const [ar, ac] = tA ? [kk, m] : [m, kk];
  const [br, bc] = tB ? [n, kk] : [kk, n];
  const lda = ac + pad;
  const ldb = bc + pad;
  const ldc = n + pad;
  const C = randomArray(Math.max(1, m * ldc), seed + 3);
  if (opts.cFill !== undefined) C.fill(opts.cFill);
  return {
    tA, tB, m, n, k: kk,
    alpha: opts.alpha ?? 1,
    beta: opts.beta ?? 0,
    A: randomArray(Math.max(1, ar * lda), seed + 1), lda,
    B: randomArray(Math.max(1, br * ldb), seed + 2), ldb,
    C, ldc,
  };
}

/** Run the kernel on a case through gemmBuffers (strided buffers); return the whole C array. */
function runKernel(c: Case): Float64Array {
  return k.scope(() => {
    const [ar, ac] = c.tA ? [c.k, c.m] : [c.m, c.k];
    const [br, bc] = c.tB ? [c.n, c.k] : [c.k, c.n];
    const a = k.f64(c.A.length, c.A);
    const b = k.f64(c.B.length, c.B);
    const cc = k.f64(c.C.length, c.C);
    gemmBuffers(
      k,
      { buf: a, rows: ar, cols: ac, ld: c.lda },
      { buf: b, rows: br, cols: bc, ld: c.ldb },
      { buf: cc, rows: c.m, cols: c.n, ld: c.ldc },
      { transA: c.tA, transB: c.tB, alpha: c.alpha, beta: c.beta },
    );
    return cc.toArray();
  });
}

function firstBitMismatch(got: Float64Array, want: Float64Array): number {
  if (got.length !== want.length) return -2;
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) return i;
  return -1;
}

function check(c: Case): void {
  const got = runKernel(c);
  const want = refOrdered(c);
  const bad = firstBitMismatch(got, want);
  expect(bad, bad >= 0 ? `index ${bad}: got ${got[bad]}, want ${want[bad]}` : '').toBe(-1);
  const acc = refAccurate(c);
  const tol = 1e-13 * (Math.abs(c.alpha) * Math.max(1, c.k) * maxAbs(c.A) * maxAbs(c.B) + Math.abs(c.beta) * maxAbs(c.C));
  let worst = 0;
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) worst = Math.max(worst, Math.abs(got[i * c.ldc + j] - acc[i * c.ldc + j]));
  }
  expect(worst).toBeLessThanOrEqual(tol);
}

const VARIANTS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const vname = ([a, b]: [boolean, boolean]) => `${a ? 'T' : 'N'}${b ? 'T' : 'N'}`;

describe('dgemm: square sizes, all transposition variants', () => {
  for (const v of VARIANTS) {
    it(`${vname(v)}: n = 1, 2, 3, 5, 17, 64, 100, 129, 257`, () => {
      for (const n of [1, 2, 3, 5, 17, 64, 100, 129, 257]) check(makeCase(v[0], v[1], n, n, n));
    });
  }
});

describe('dgemm: non-square, edges and blocking boundaries', () => {
  const shapes: [number, number, number][] = [
    [1, 7, 3], [7, 1, 3], [3, 5, 1], [1, 1, 300], [2, 3, 4], [4, 4, 4], [5, 3, 2],
    [13, 6, 9], [33, 65, 17], [130, 7, 31], [6, 131, 40], [129, 130, 255], [129, 5, 513],
    [4, 1030, 9], [133, 1029, 3], [31, 29, 600],
  ];
  for (const v of VARIANTS) {
    it(`${vname(v)}: ${shapes.length} shapes (m x n x k)`, () => {
      for (const [m, n, kk] of shapes) check(makeCase(v[0], v[1], m, n, kk));
    });
  }
});

describe('dgemm: leading dimensions larger than the width', () => {
  for (const v of VARIANTS) {
    it(`${vname(v)}: padded rows are read correctly and left untouched in C`, () => {
      for (const [m, n, kk, pad] of [[5, 7, 3, 1], [17, 9, 33, 3], [64, 64, 64, 5], [100, 37, 129, 11]]) {
        const c = makeCase(v[0], v[1], m, n, kk, { pad, alpha: 1.5, beta: -0.5 });
        check(c);
        const got = runKernel(c);
        for (let i = 0; i < m; i++) {
          for (let j = n; j < c.ldc && i * c.ldc + j < c.C.length; j++) {
            expect(Object.is(got[i * c.ldc + j], c.C[i * c.ldc + j])).toBe(true);
          }
        }
      }
    });
  }
});

describe('dgemm: alpha and beta', () => {
  const combos: [number, number][] = [
    [1, 0], [2.5, 0], [-0.75, 1], [0.5, -1.25], [1, 1], [0, 2], [0, 0], [-3, 0.1],
  ];
  for (const [alpha, beta] of combos) {
    it(`alpha = ${alpha}, beta = ${beta}`, () => {
      for (const v of VARIANTS) {
        for (const [m, n, kk] of [[3, 3, 3], [17, 19, 23], [70, 65, 300]] as const) {
          check(makeCase(v[0], v[1], m, n, kk, { alpha, beta }));
        }
      }
    });
  }

  it('beta = 0 ignores NaN and Inf in the old C', () => {
    for (const v of VARIANTS) {
      for (const [m, n, kk] of [[2, 2, 2], [9, 11, 7], [129, 67, 260]] as const) {
        for (const fill of [NaN, Infinity]) {
          const c = makeCase(v[0], v[1], m, n, kk, { beta: 0, cFill: fill, alpha: 0.5 });
          const got = runKernel(c);
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(Number.isFinite(got[i * c.ldc + j])).toBe(true);
          check(c);
        }
      }
    }
  });

  it('alpha = 0 or k = 0 gives beta * C (zeros when beta = 0, even over NaN)', () => {
    const c = makeCase(false, false, 6, 5, 0, { beta: 0, cFill: NaN });
    expect(Array.from(runKernel(c))).toEqual(new Array(30).fill(0));
    const c2 = makeCase(false, true, 6, 5, 4, { alpha: 0, beta: 2 });
    const got = runKernel(c2);
    for (let i = 0; i < 30; i++) expect(got[i]).toBe(2 * c2.C[i]);
  });
});

describe('dgemm: determinism and memory', () => {
  it('same inputs give the same bits whatever the alignment of the operands', () => {
    const m = 37, n = 41, kk = 300;
    const base = makeCase(false, false, m, n, kk);
    const ref = runKernel(base);
    // Same matrices at an odd element offset (8-byte, not 16-byte aligned) in bigger buffers.
    const got = k.scope(() => {
      const a = k.f64(base.A.length + 1);
      const b = k.f64(base.B.length + 3);
      const c = k.f64(base.C.length + 1);
      a.set(base.A, 1);
      b.set(base.B, 3);
      c.set(base.C, 1);
      gemmBuffers(
        k,
        { buf: a, rows: m, cols: kk, offset: 1 },
        { buf: b, rows: kk, cols: n, offset: 3 },
        { buf: c, rows: m, cols: n, offset: 1 },
      );
      return c.toArray().subarray(1);
    });
    expect(firstBitMismatch(got, ref)).toBe(-1);
  });

  it('frees its packing buffers (memory does not grow over repeated calls)', () => {
    const n = 300;
    k.scope(() => {
      const a = k.f64(n * n, randomArray(n * n, 1));
      const b = k.f64(n * n, randomArray(n * n, 2));
      const c = k.f64(n * n);
      const M = { rows: n, cols: n };
      gemmBuffers(k, { buf: a, ...M }, { buf: b, ...M }, { buf: c, ...M });
      const bytes = k.memory.buffer.byteLength;
      for (let r = 0; r < 30; r++) gemmBuffers(k, { buf: a, ...M }, { buf: b, ...M }, { buf: c, ...M }, { transA: r % 2 === 1 });
      expect(k.memory.buffer.byteLength).toBe(bytes);
    });
    expect(k.liveBuffers).toBe(0);
  });
});

describe('gemm() wrapper on arrays', () => {
  it('multiplies plain arrays and returns a new matrix', () => {
    const A = { rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] };
    const B = { rows: 3, cols: 2, data: [7, 8, 9, 10, 11, 12] };
    const C = gemm(k, A, B);
    expect(C.rows).toBe(2);
    expect(C.cols).toBe(2);
    expect(Array.from(C.data)).toEqual([58, 64, 139, 154]);
    const Ct = gemm(k, A, A, { transB: true, alpha: 2 }); // 2 A A^T
    expect(Array.from(Ct.data)).toEqual([28, 64, 64, 154]);
    const Ctt = gemm(k, A, A, { transA: true }); // A^T A, 3x3
    expect(Array.from(Ctt.data)).toEqual([17, 22, 27, 22, 29, 36, 27, 36, 45]);
    expect(k.liveBuffers).toBe(0);
  });

  it('accumulates into a given C with beta', () => {
    const A = { rows: 2, cols: 2, data: new Float64Array([1, 2, 3, 4]) };
    const C = { rows: 2, cols: 2, data: new Float64Array([1, 1, 1, 1]) };
    const out = gemm(k, A, A, { C, beta: 10, alpha: 1 });
    expect(out).toBe(C);
    expect(Array.from(C.data)).toEqual([17, 20, 25, 32]);
  });

  it('matches the reference on a random non-square transposed product', () => {
    const c = makeCase(true, true, 23, 45, 67, { alpha: -1.5, beta: 0.25 });
    const out = gemm(
      k,
      { rows: c.k, cols: c.m, data: c.A },
      { rows: c.n, cols: c.k, data: c.B },
      { transA: true, transB: true, alpha: c.alpha, beta: c.beta, C: { rows: c.m, cols: c.n, data: c.C.slice() } },
    );
    expect(firstBitMismatch(out.data, refOrdered(c))).toBe(-1);
  });

  it('handles empty products', () => {
    expect(gemm(k, { rows: 0, cols: 3, data: [] }, { rows: 3, cols: 2, data: [1, 2, 3, 4, 5, 6] }).data.length).toBe(0);
    const z = gemm(k, { rows: 2, cols: 0, data: [] }, { rows: 0, cols: 2, data: [] });
    expect(Array.from(z.data)).toEqual([0, 0, 0, 0]);
  });

  it('throws clear errors on bad shapes and arguments', () => {
    const A = { rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] };
    expect(() => gemm(k, A, A)).toThrow(/inner dimensions differ: op\(A\) is 2x3, op\(B\) is 2x3/);
    expect(() => gemm(k, A, A, { transA: true, transB: true })).toThrow(/op\(A\) is 3x2 \(A transposed\), op\(B\) is 3x2 \(B transposed\)/);
    expect(() => gemm(k, A, { rows: 3, cols: 2, data: [1, 2, 3] })).toThrow(/B.data has 3 values, expected 3\*2/);
    expect(() => gemm(k, A, A, { transB: true, C: { rows: 3, cols: 2, data: new Float64Array(6) } })).toThrow(
      /C is 3x2, expected 2x2/,
    );
    expect(() => gemm(k, { rows: 1.5, cols: 1, data: [1] }, A)).toThrow(/A.rows must be a non-negative integer/);
    expect(() => gemm(k, A, A, { transB: true, alpha: NaN })).toThrow(/alpha must be a finite number/);
    const bad = { rows: 2, cols: 3, data: [1, 2, 3, 4, Infinity, 6] };
    expect(() => gemm(k, bad, A, { transB: true })).toThrow('gemm: A contains Infinity at (1, 1)');
    expect(() => gemm(k, A, { ...A, data: [NaN, 2, 3, 4, 5, 6] }, { transB: true })).toThrow('gemm: B contains NaN at (0, 0)');
    expect(k.liveBuffers).toBe(0);
  });

  it('gemmBuffers checks extents, strides and overlap', () => {
    k.scope(() => {
      const a = k.f64(6, [1, 2, 3, 4, 5, 6]);
      const c = k.f64(4);
      expect(() => gemmBuffers(k, { buf: a, rows: 2, cols: 3, ld: 2 }, { buf: a, rows: 2, cols: 3 }, { buf: c, rows: 2, cols: 2 }, { transB: true })).toThrow(
        /A.ld = 2 is smaller than A.cols = 3/,
      );
      expect(() => gemmBuffers(k, { buf: a, rows: 2, cols: 3, ld: 4 }, { buf: a, rows: 2, cols: 3 }, { buf: c, rows: 2, cols: 2 }, { transB: true })).toThrow(
        /needs 7 elements, buffer has 6/,
      );
      const w = k.f64(8, [1, 2, 3, 4, 5, 6, 0, 0]);
      gemmBuffers(k, { buf: w, rows: 1, cols: 2 }, { buf: w, rows: 2, cols: 2, offset: 2 }, { buf: w, rows: 1, cols: 2, offset: 6 });
      expect(Array.from(w.view.subarray(6))).toEqual([13, 16]);
      expect(() => gemmBuffers(k, { buf: w, rows: 1, cols: 2 }, { buf: w, rows: 2, cols: 2, offset: 2 }, { buf: w, rows: 1, cols: 2, offset: 5 })).toThrow(
        /C overlaps B/,
      );
      expect(() => gemmBuffers(k, { buf: w, rows: 1, cols: 2, offset: 6 }, { buf: w, rows: 2, cols: 2, offset: 2 }, { buf: w, rows: 1, cols: 2, offset: 6 })).toThrow(
        /C overlaps A/,
      );
      gemmBuffers(k, { buf: a, rows: 2, cols: 3 }, { buf: a, rows: 2, cols: 3 }, { buf: c, rows: 2, cols: 2 }, { transB: true });
      expect(Array.from(c.view)).toEqual([14, 32, 32, 77]);
    });
  });
});
