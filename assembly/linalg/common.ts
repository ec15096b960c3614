// Helpers shared by the linear-algebra kernels: element access on row-major f64 data, exact
// power-of-two scaling, the SIMD dot product, and NaN/Inf scans.

@inline export function ldf(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline export function stf(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
@inline export function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
@inline export function sti(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}
/** Address of row i of a row-major matrix with row stride ld (in f64). */
@inline export function rowPtr(p: usize, i: i32, ld: i32): usize {
  return p + ((<usize>i * <usize>ld) << 3);
}
/** Address of element (i, j) of a row-major matrix with row stride ld. */
@inline export function at(p: usize, ld: i32, i: i32, j: i32): usize {
  return p + ((<usize>i * <usize>ld + <usize>j) << 3);
}

/** Power of two s with max*s in [1, 2); 1 when max is zero, subnormal or not finite. Scaling by it is exact. */
export function pow2Scale(max: f64): f64 {
  const bits = reinterpret<u64>(max);
  const ex = <i32>((bits >> 52) & 0x7ff);
  if (ex == 0 || ex == 0x7ff) return 1.0;
  const se = 2046 - ex; // biased exponent of 2^(1023 - (ex - 1023))
  if (se <= 0 || se >= 2047) return 1.0;
  return reinterpret<f64>(<u64>se << 52);
}

/** sum_j x[j] y[j], j < n, f64x2 with two accumulators (fixed summation order). */
export function dot(x: usize, y: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 3;
    a0 = f64x2.add(a0, f64x2.mul(v128.load(x + o), v128.load(y + o)));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(x + o + 16), v128.load(y + o + 16)));
  }
  a0 = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  for (; j < n; j++) s += ldf(x, j) * ldf(y, j);
  return s;
}

// x*0 is NaN exactly when x is NaN or infinite, so a sum of x*0 stays 0 unless one value is bad.

/** True when the n values at p are all finite. */
export function finiteVec(p: usize, n: i32): bool {
  let acc: f64 = 0;
  for (let i = 0; i < n; i++) acc += ldf(p, i) * 0.0;
  return acc == acc;
}

/** True when the lower triangle (j <= i) of the n x n matrix at a is finite. */
export function lowerFinite(n: i32, a: usize, lda: i32): bool {
  let acc: f64 = 0;
  for (let i = 0; i < n; i++) {
    const row = rowPtr(a, i, lda);
    for (let j = 0; j <= i; j++) acc += ldf(row, j) * 0.0;
  }
  return acc == acc;
}

/** True when the rows x cols matrix at b (row stride ldb) is finite. */
export function fullFinite(rows: i32, cols: i32, b: usize, ldb: i32): bool {
  let acc: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const row = rowPtr(b, i, ldb);
    for (let j = 0; j < cols; j++) acc += ldf(row, j) * 0.0;
  }
  return acc == acc;
}
