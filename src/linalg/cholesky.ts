// Cholesky factorisation and triangular solves (real, row-major) on top of the kernels in
// assembly/linalg/cholesky.ts. Matrices are Float64Arrays, row-major; right-hand sides B are
// n x nrhs row-major (one right-hand side per column; nrhs = 1 is a plain vector).
import { KernelError, type F64Buffer, type Kernels } from '../wasm/kernels.js';

type Fn = (...args: number[]) => number;

function checkSizes(name: string, n: number, a: ArrayLike<number>, what: string, cols = n): void {
  if (!Number.isInteger(n) || n < 0) throw new KernelError(`${name}: matrix order must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(cols) || cols < 0) throw new KernelError(`${name}: column count must be a non-negative integer, got ${cols}`);
  if (a.length !== n * cols) {
    throw new KernelError(`${name}: ${what} must hold ${n}x${cols} = ${n * cols} values, got ${a.length}`);
  }
}

/**
 * Cholesky factor L (lower triangular, A = L L^T) of a symmetric positive definite n x n matrix.
 * Only the lower triangle of `a` is read. Returns L as a full n x n row-major array with zeros
 * above the diagonal. Throws "cholesky: matrix is not positive definite" or
 * "cholesky: input contains NaN or Inf".
 */
export function cholesky(k: Kernels, a: ArrayLike<number>, n: number): Float64Array {
  checkSizes('cholesky', n, a, 'the matrix');
  if (n === 0) return new Float64Array(0);
  return k.scope(() => {
    const A = k.f64(n * n, a);
    k.check('cholesky', k.fn<Fn>('cholesky')(n, A.ptr, n));
    const L = A.toArray();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) L[i * n + j] = 0;
    return L;
  });
}

function trsmStatus(name: string, k: Kernels, status: number): void {
  if (status === 4) throw new KernelError(`${name}: the triangular factor has a zero on its diagonal (singular)`);
  k.check(name, status);
}

/**
 * The common frame of the solves: check that `a` is n x n (`what` names it in errors) and `b` is
 * n x nrhs, copy both into kernel memory, let `solve` overwrite B with X, and return X.
 */
function solveInKernel(
  name: string,
  k: Kernels,
  a: ArrayLike<number>,
  what: string,
  b: ArrayLike<number>,
  n: number,
  nrhs: number,
  solve: (A: F64Buffer, B: F64Buffer) => void,
): Float64Array {
  checkSizes(name, n, a, what);
  checkSizes(name, n, b, 'the right-hand side', nrhs);
  if (n === 0 || nrhs === 0) return new Float64Array(n * nrhs);
  return k.scope(() => {
    const A = k.f64(n * n, a);
    const B = k.f64(n * nrhs, b);
    solve(A, B);
    return B.toArray();
  });
}

/**
 * Solve L X = B (or L^T X = B with `transpose: true`) for X, where L is the lower triangle of the
 * n x n row-major `l` (the strict upper part is ignored) and B is n x nrhs row-major.
 */
export function triangularSolve(
  k: Kernels,
  l: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  nrhs = 1,
  opts: { transpose?: boolean } = {},
): Float64Array {
  return solveInKernel('triangularSolve', k, l, 'the triangular factor', b, n, nrhs, (L, B) =>
    trsmStatus('triangularSolve', k, k.fn<Fn>('trsmLower')(opts.transpose ? 1 : 0, n, nrhs, L.ptr, n, B.ptr, nrhs)),
  );
}

/** Solve A X = B with A given by its Cholesky factor L (from `cholesky`): L L^T X = B. */
export function choleskySolveFactored(
  k: Kernels,
  l: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  nrhs = 1,
): Float64Array {
  return solveInKernel('choleskySolve', k, l, 'the Cholesky factor', b, n, nrhs, (L, B) =>
    trsmStatus('choleskySolve', k, k.fn<Fn>('choleskySolve')(n, nrhs, L.ptr, n, B.ptr, nrhs)),
  );
}

/**
 * Solve A X = B for a symmetric positive definite A (lower triangle read): factor A = L L^T, then
 * two triangular solves. B is n x nrhs row-major; returns X in the same layout. Throws
 * "choleskySolve: matrix is not positive definite" when A is not.
 */
export function choleskySolve(
  k: Kernels,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  nrhs = 1,
): Float64Array {
  return solveInKernel('choleskySolve', k, a, 'the matrix', b, n, nrhs, (A, B) => {
    k.check('choleskySolve', k.fn<Fn>('cholesky')(n, A.ptr, n));
    trsmStatus('choleskySolve', k, k.fn<Fn>('choleskySolve')(n, nrhs, A.ptr, n, B.ptr, nrhs));
  });
}
