// Dense matrix multiply, row-major, f64.
// C (m x n) = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T (trans = 0 or 1).
// A is m x k (or k x m when transposed) with row stride lda; likewise B and C.
// PLACEHOLDER: naive loops; to be replaced by the blocked SIMD kernel.
export function dgemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f64, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f64, c: usize, ldc: i32,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s: f64 = 0;
      for (let p = 0; p < k; p++) {
        const aip = transA ? load<f64>(a + ((<usize>p * lda + i) << 3)) : load<f64>(a + ((<usize>i * lda + p) << 3));
        const bpj = transB ? load<f64>(b + ((<usize>j * ldb + p) << 3)) : load<f64>(b + ((<usize>p * ldb + j) << 3));
        s += aip * bpj;
      }
      const cp = c + ((<usize>i * ldc + j) << 3);
      store<f64>(cp, beta == 0 ? alpha * s : alpha * s + beta * load<f64>(cp));
    }
  }
}
