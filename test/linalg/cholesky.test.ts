import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/node/kernels.js';
import { cholesky, choleskySolve, choleskySolveFactored, triangularSolve } from '../../src/linalg/cholesky.js';
import { KernelError } from '../../src/wasm/kernels.js';
import { diffNorm, frob, matmul } from '../helpers/arrays.js';
import { centered, mulberry32 } from '../helpers/random.js';

const rng = (seed: number) => centered(mulberry32(seed));

/** SPD matrix M M^T / n + shift I (well conditioned for shift ~ 1). */
function spd(n: number, r: () => number, shift = 0.5): Float64Array {
  const m = new Float64Array(n * n).map(() => r());
  const a = matmul(m, m, n, n, n, true);
  for (let i = 0; i < n * n; i++) a[i] /= n;
  for (let i = 0; i < n; i++) a[i * n + i] += shift;
  return a;
}

const report: string[] = [];

describe('cholesky', () => {
  it.each([1, 2, 3, 63, 64, 65, 200, 333])('n = %i: L L^T = A to ~1e-15 relative, L lower triangular', async (n) => {
    const k = await loadKernels();
    const live = k.liveBuffers;
    const a = spd(n, rng(n + 17));
    const l = cholesky(k, a, n);
    expect(k.liveBuffers).toBe(live);
    for (let i = 0; i < n; i++) {
      expect(l[i * n + i]).toBeGreaterThan(0);
      for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
    }
    const rel = diffNorm(matmul(l, l, n, n, n, true), a) / frob(a);
    report.push(`cholesky n=${n}: |LL^T - A|/|A| = ${rel.toExponential(2)}`);
    expect(rel).toBeLessThanOrEqual(1e-13);
  });

  it('reads only the lower triangle and leaves the strict upper triangle untouched (raw kernel)', async () => {
    const k = await loadKernels();
    const n = 150;
    const a = spd(n, rng(5));
    const junk = new Float64Array(a);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) junk[i * n + j] = Number.NaN;
    const out = k.scope(() => {
      const A = k.f64(n * n, junk);
      k.check('cholesky', k.fn<(...x: number[]) => number>('cholesky')(n, A.ptr, n));
      return A.toArray();
    });
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(out[i * n + j]).toBeNaN();
    const l = cholesky(k, a, n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) expect(out[i * n + j]).toBe(l[i * n + j]);
  });

  it('raw kernels honour row strides (lda, ldb > n)', async () => {
    const k = await loadKernels();
    const n = 150, lda = 157, nrhs = 3, ldb = 5;
    const a = spd(n, rng(44));
    const b = new Float64Array(n * nrhs).map(rng(45));
    const x = choleskySolve(k, a, b, n, nrhs);
    const ap = new Float64Array(n * lda).fill(Number.NaN);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) ap[i * lda + j] = a[i * n + j];
    const bp = new Float64Array(n * ldb).fill(-1);
    for (let i = 0; i < n; i++) for (let j = 0; j < nrhs; j++) bp[i * ldb + j] = b[i * nrhs + j];
    const out = k.scope(() => {
      const A = k.f64(n * lda, ap);
      const B = k.f64(n * ldb, bp);
      const f = (name: string) => k.fn<(...x: number[]) => number>(name);
      k.check('cholesky', f('cholesky')(n, A.ptr, lda));
      k.check('choleskySolve', f('choleskySolve')(n, nrhs, A.ptr, lda, B.ptr, ldb));
      return B.toArray();
    });
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < nrhs; j++) expect(out[i * ldb + j]).toBe(x[i * nrhs + j]);
      for (let j = nrhs; j < ldb; j++) expect(out[i * ldb + j]).toBe(-1);
    }
  });

  it('known 3x3 factor', async () => {
    const k = await loadKernels();
    // A = L L^T with L = [[2,0,0],[1,3,0],[-1,0.5,1]]
    const L = [2, 0, 0, 1, 3, 0, -1, 0.5, 1];
    const A = matmul(L, L, 3, 3, 3, true);
    const l = cholesky(k, A, 3);
    for (let i = 0; i < 9; i++) expect(l[i]).toBeCloseTo(L[i], 15);
  });

  it('a matrix that is not positive definite is a clear error', async () => {
    const k = await loadKernels();
    const live = k.liveBuffers;
    expect(() => cholesky(k, [1, 2, 2, 1], 2)).toThrow(KernelError);
    expect(() => cholesky(k, [1, 2, 2, 1], 2)).toThrow('cholesky: matrix is not positive definite');
    expect(() => cholesky(k, [-1], 1)).toThrow(/not positive definite/);
    expect(() => cholesky(k, [0, 0, 0, 0], 2)).toThrow(/not positive definite/);
    // large: SPD part plus a rank-one negative direction deep inside a late block
    const n = 200;
    const a = spd(n, rng(9));
    a[170 * n + 170] = -5;
    expect(() => cholesky(k, a, n)).toThrow(/not positive definite/);
    expect(() => choleskySolve(k, a, new Float64Array(n), n)).toThrow('choleskySolve: matrix is not positive definite');
    expect(k.liveBuffers).toBe(live);
  });

  it('NaN / Inf is a clear error, sizes are checked', async () => {
    const k = await loadKernels();
    const a = spd(4, rng(2));
    a[3 * 4 + 1] = Number.NaN;
    expect(() => cholesky(k, a, 4)).toThrow('cholesky: input contains NaN or Inf');
    a[3 * 4 + 1] = Number.NEGATIVE_INFINITY;
    expect(() => cholesky(k, a, 4)).toThrow(/NaN or Inf/);
    expect(() => cholesky(k, new Float64Array(5), 2)).toThrow(/must hold 2x2 = 4 values, got 5/);
    expect(() => choleskySolve(k, spd(3, rng(1)), new Float64Array(5), 3, 2)).toThrow(/right-hand side must hold 3x2 = 6 values, got 5/);
    const b = new Float64Array(3);
    b[1] = Number.NaN;
    expect(() => choleskySolve(k, spd(3, rng(1)), b, 3)).toThrow(/NaN or Inf/);
  });
});

describe('triangular solves and choleskySolve', () => {
  it.each([
    [1, 1],
    [2, 3],
    [3, 1],
    [65, 7],
    [200, 1],
    [200, 13],
  ])('n = %i, nrhs = %i: L X = B, L^T X = B, A X = B', async (n, nrhs) => {
    const k = await loadKernels();
    const r = rng(1000 * n + nrhs);
    const a = spd(n, r);
    const b = new Float64Array(n * nrhs).map(() => r());
    const l = cholesky(k, a, n);
    const lt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lt[i * n + j] = l[j * n + i];

    const x1 = triangularSolve(k, l, b, n, nrhs);
    const r1 = diffNorm(matmul(l, x1, n, n, nrhs), b) / (frob(l) * frob(x1));
    const x2 = triangularSolve(k, l, b, n, nrhs, { transpose: true });
    const r2 = diffNorm(matmul(lt, x2, n, n, nrhs), b) / (frob(l) * frob(x2));
    const x3 = choleskySolve(k, a, b, n, nrhs);
    const r3 = diffNorm(matmul(a, x3, n, n, nrhs), b) / (frob(a) * frob(x3));
    const x4 = choleskySolveFactored(k, l, b, n, nrhs);
    expect(Array.from(x4)).toEqual(Array.from(x3));
    report.push(
      `solves n=${n} nrhs=${nrhs}: |LX-B| ${r1.toExponential(2)}, |L^TX-B| ${r2.toExponential(2)}, |AX-B| ${r3.toExponential(2)} (relative to |M||X|)`,
    );
    expect(r1).toBeLessThanOrEqual(1e-15);
    expect(r2).toBeLessThanOrEqual(1e-15);
    expect(r3).toBeLessThanOrEqual(1e-14);
    // forward error on a well-conditioned system
    const xTrue = new Float64Array(n * nrhs).map(() => r());
    const bb = matmul(a, xTrue, n, n, nrhs);
    const x5 = choleskySolve(k, a, bb, n, nrhs);
    expect(diffNorm(x5, xTrue) / frob(xTrue)).toBeLessThanOrEqual(1e-13);
  });

  it('ignores the upper triangle of L; a zero diagonal is reported', async () => {
    const k = await loadKernels();
    const l = [2, 99, 99, 1, 3, 99, -1, 0.5, 1];
    const x = triangularSolve(k, l, [2, 7, 1.5], 3);
    expect(Array.from(x)).toEqual([1, 2, 1.5]);
    expect(() => triangularSolve(k, [1, 0, 1, 0], [1, 1], 2)).toThrow('triangularSolve: the triangular factor has a zero on its diagonal (singular)');
  });

  it('prints the measured accuracy', () => {
    // eslint-disable-next-line no-console
    console.log(['cholesky accuracy:', ...report].join('\n  '));
  });
});
