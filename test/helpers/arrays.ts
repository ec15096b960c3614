// Small dense-array helpers for tests (plain JS, row-major, independent of the code under test).

/** max_i |a_i|. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** max_i |a_i − b_i| over the indices of a. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Frobenius norm. */
export function frob(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** Frobenius norm of a − b. */
export function diffNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** C = A B (m × kk times kk × n), or A Bᵀ with `transB` (B is n × kk). */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, kk: number, n: number, transB = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < kk; p++) {
      const x = a[i * kk + p];
      if (x === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += x * (transB ? b[j * kk + p] : b[p * n + j]);
    }
  return c;
}

/** n × n identity. */
export function eye(n: number): Float64Array {
  const e = new Float64Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = 1;
  return e;
}
