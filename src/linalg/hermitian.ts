// Complex Hermitian eigenproblem (dynamical matrices at a q-point) on top of the `eighHerm` kernel.
//
// Complex matrices are passed INTERLEAVED: an n x n complex matrix is a Float64Array of length
// 2 n^2, row-major, with element (i, j) at re = a[2 (i n + j)], im = a[2 (i n + j) + 1] — the
// layout of the kernel itself, so nothing is converted on the way in. `interleave(re, im)` builds
// it from separate real and imaginary parts.
import { KernelError, type Kernels } from '../wasm/kernels.js';

/** Eigen-decomposition A = V diag(values) V^H of a Hermitian matrix. */
export interface HermitianEigen {
  /** Order of the matrix. */
  n: number;
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /**
   * Eigenvectors as COLUMNS of an interleaved complex n x n row-major matrix: component i of
   * eigenvector j is (vectors[2 (i n + j)], vectors[2 (i n + j) + 1]). Orthonormal: V^H V = I.
   */
  vectors: Float64Array;
}

function checkOrder(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new KernelError(`${name}: matrix order must be a non-negative integer, got ${n}`);
}

/** Interleave separate real and imaginary parts (same length) into (re, im) pairs. */
export function interleave(re: ArrayLike<number>, im: ArrayLike<number>): Float64Array {
  if (re.length !== im.length) {
    throw new KernelError(`interleave: real part has ${re.length} values, imaginary part ${im.length}`);
  }
  const out = new Float64Array(2 * re.length);
  for (let i = 0; i < re.length; i++) {
    out[2 * i] = re[i];
    out[2 * i + 1] = im[i];
  }
  return out;
}

/**
 * Eigenvalues and eigenvectors of the Hermitian n x n matrix `a` (interleaved complex, row-major,
 * length 2 n^2). Only the lower triangle (j <= i) is read and the imaginary parts of the diagonal
 * are ignored, so the upper triangle may hold anything. Throws a KernelError naming the problem for
 * a wrong size, NaN/Inf in the lower triangle, or a failed iteration.
 *
 * Method: Householder reduction to Hermitian tridiagonal form, a diagonal phase transform that
 * makes it real, the real tridiagonal eigensolver, and back-transformation (see
 * assembly/linalg/hermitian.ts). Degenerate eigenvalues get orthonormal eigenvectors.
 */
export function eighHermitian(k: Kernels, a: ArrayLike<number>, n: number): HermitianEigen {
  checkOrder('eighHermitian', n);
  if (a.length !== 2 * n * n) {
    throw new KernelError(
      `eighHermitian: an interleaved complex ${n}x${n} matrix needs ${2 * n * n} numbers, got ${a.length}`,
    );
  }
  if (n === 0) return { n, values: new Float64Array(0), vectors: new Float64Array(0) };
  return k.scope(() => {
    const A = k.f64(2 * n * n, a);
    const w = k.f64(n);
    const V = k.f64(2 * n * n);
    const fn = k.fn<(n: number, a: number, lda: number, w: number, v: number, ldv: number) => number>('eighHerm');
    k.check('eighHermitian', fn(n, A.ptr, n, w.ptr, V.ptr, n));
    return { n, values: w.toArray(), vectors: V.toArray() };
  });
}

/** Eigenvector j of a HermitianEigen as an interleaved complex vector of length 2n. */
export function hermitianEigenvector(eig: HermitianEigen, j: number): Float64Array {
  const { n, vectors } = eig;
  if (!Number.isInteger(j) || j < 0 || j >= n) throw new KernelError(`hermitianEigenvector: index ${j} outside 0..${n - 1}`);
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = vectors[2 * (i * n + j)];
    out[2 * i + 1] = vectors[2 * (i * n + j) + 1];
  }
  return out;
}
