// Real symmetric eigensolver, host side: copy in, call the WebAssembly kernels
// (assembly/linalg/eigh.ts, assembly/linalg/tridiagonal.ts), copy out.
// Eigenvalues ascending; eigenvectors are the COLUMNS of a row-major n x n matrix:
// vectors[i * n + j] is component i of eigenvector j (numpy's convention).
import { KernelError } from '../wasm/kernels.js';
/** Flatten and validate the input: square shape, finite entries, symmetry. */
function toDense(name, a, n, symTol) {
    let data;
    if (Array.isArray(a)) {
        const rows = a.length;
        if (n !== undefined && n !== rows)
            throw new Error(`${name}: n = ${n} but the matrix has ${rows} rows`);
        n = rows;
        data = new Float64Array(n * n);
        for (let i = 0; i < n; i++) {
            const row = a[i];
            if (!row || row.length !== n) {
                throw new Error(`${name}: matrix is not square (row ${i} has ${row ? row.length : 0} entries, expected ${n})`);
            }
            for (let j = 0; j < n; j++)
                data[i * n + j] = row[j];
        }
    }
    else if (a instanceof Float64Array) {
        if (n === undefined) {
            n = Math.round(Math.sqrt(a.length));
            if (n * n !== a.length)
                throw new Error(`${name}: length ${a.length} is not a perfect square; pass n`);
        }
        if (!Number.isInteger(n) || n < 0)
            throw new Error(`${name}: bad size n = ${n}`);
        if (a.length < n * n)
            throw new Error(`${name}: array of length ${a.length} is too short for ${n} x ${n}`);
        data = a.length === n * n ? a : a.subarray(0, n * n);
    }
    else {
        throw new Error(`${name}: expected a Float64Array or an array of rows`);
    }
    let amax = 0;
    for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
            const x = data[i * n + j];
            if (!Number.isFinite(x))
                throw new Error(`${name}: input contains NaN or Inf at (${i}, ${j})`);
            const ax = Math.abs(x);
            if (ax > amax)
                amax = ax;
        }
    }
    if (symTol !== Infinity) {
        // tiles of 32 x 32 so that the transposed reads stay in cache
        const lim = symTol * amax;
        const T = 32;
        for (let i0 = 0; i0 < n; i0 += T) {
            for (let j0 = 0; j0 <= i0; j0 += T) {
                const i1 = Math.min(n, i0 + T);
                for (let i = i0; i < i1; i++) {
                    const j1 = Math.min(i, j0 + T);
                    for (let j = j0; j < j1; j++) {
                        const d = Math.abs(data[i * n + j] - data[j * n + i]);
                        if (d > lim) {
                            throw new Error(`${name}: matrix is not symmetric: |a(${i}, ${j}) - a(${j}, ${i})| = ${d.toExponential(3)} > ${symTol} * max|a| = ${lim.toExponential(3)}`);
                        }
                    }
                }
            }
        }
    }
    return { data, n };
}
/**
 * All eigenpairs of a real symmetric matrix (row-major Float64Array of n*n, or an array of rows).
 * Throws an Error naming the problem for non-square, non-finite or non-symmetric input.
 */
export function eigh(k, a, n, opts = {}) {
    const { data, n: m } = toDense('eigh', a, n, opts.symmetryTol ?? 1e-10);
    if (m === 0)
        return { values: new Float64Array(0), vectors: new Float64Array(0) };
    return k.scope(() => {
        const A = k.f64(m * m, data);
        const w = k.f64(m);
        const v = k.f64(m * m);
        eighInPlace(k, A, m, w, v);
        return { values: w.toArray(), vectors: v.toArray() };
    });
}
/** Eigenvalues only (ascending); same validation as eigh. */
export function eighValues(k, a, n, opts = {}) {
    const { data, n: m } = toDense('eighValues', a, n, opts.symmetryTol ?? 1e-10);
    if (m === 0)
        return new Float64Array(0);
    return k.scope(() => {
        const A = k.f64(m * m, data);
        const w = k.f64(m);
        const status = k.fn('eighSymValues')(m, A.ptr, m, w.ptr);
        k.check('eighValues', status);
        return w.toArray();
    });
}
/**
 * Zero-copy variant for data already in WebAssembly memory: a (n*n, row-major; only its lower
 * triangle is read and it is OVERWRITTEN with the Householder vectors), w (n) eigenvalues
 * ascending, v (n*n) eigenvectors as columns. Throws KernelError on NaN/Inf or non-convergence.
 */
export function eighInPlace(k, a, n, w, v) {
    if (!Number.isInteger(n) || n < 0)
        throw new KernelError(`eigh: bad size n = ${n}`);
    if (a.length < n * n)
        throw new KernelError(`eigh: a holds ${a.length} values, needs ${n * n}`);
    if (w.length < n)
        throw new KernelError(`eigh: w holds ${w.length} values, needs ${n}`);
    if (v.length < n * n)
        throw new KernelError(`eigh: v holds ${v.length} values, needs ${n * n}`);
    const status = k.fn('eighSym')(n, a.ptr, n, w.ptr, v.ptr, n);
    k.check('eigh', status);
}
/**
 * All eigenpairs of the symmetric tridiagonal matrix with diagonal d (n) and off-diagonal e (n-1).
 */
export function tridiagonalEigh(k, d, e, method = 'dc') {
    const n = d.length;
    if (n > 0 && e.length !== n - 1) {
        throw new Error(`tridiagonalEigh: off-diagonal has ${e.length} entries, expected ${n - 1}`);
    }
    for (let i = 0; i < n; i++) {
        if (!Number.isFinite(d[i]))
            throw new Error(`tridiagonalEigh: diagonal contains NaN or Inf at ${i}`);
    }
    for (let i = 0; i < n - 1; i++) {
        if (!Number.isFinite(e[i]))
            throw new Error(`tridiagonalEigh: off-diagonal contains NaN or Inf at ${i}`);
    }
    if (n === 0)
        return { values: new Float64Array(0), vectors: new Float64Array(0) };
    return k.scope(() => {
        const db = k.f64(n, d);
        const eb = k.f64(Math.max(1, n - 1));
        if (n > 1)
            eb.set(e);
        const z = k.f64(n * n);
        const name = method === 'ql' ? 'tridiagEigQL' : 'tridiagEig';
        k.check('tridiagonalEigh', k.fn(name)(n, db.ptr, eb.ptr, z.ptr, n));
        return { values: db.toArray(), vectors: z.toArray() };
    });
}
