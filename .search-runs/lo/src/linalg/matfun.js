// Functions of real symmetric matrices through the eigendecomposition A = V diag(lambda) V^T
// (kernels in assembly/linalg/matfun.ts). Matrices are n x n row-major Float64Arrays; only the
// lower triangle of the input is read. Every result is exactly symmetric (bitwise).
import { KernelError } from '../wasm/kernels.js';
const KIND = { sqrt: 0, invsqrt: 1, inv: 2, pow: 3, exp: 4, log: 5 };
function checkMatrix(name, a, n) {
    if (!Number.isInteger(n) || n < 0)
        throw new KernelError(`${name}: matrix order must be a non-negative integer, got ${n}`);
    if (a.length !== n * n)
        throw new KernelError(`${name}: an ${n}x${n} matrix needs ${n * n} values, got ${a.length}`);
}
const NEEDS_DEFINITE = (kind, p) => kind === 'invsqrt' || kind === 'inv' || kind === 'log' || (kind === 'pow' && p <= 0);
/** f(A) for a symmetric A, f applied to the eigenvalues (see SymFunctionKind). */
export function symFunction(k, a, n, kind, opts = {}, name = 'symFunction') {
    checkMatrix(name, a, n);
    if (!(kind in KIND))
        throw new KernelError(`${name}: unknown function "${String(kind)}"`);
    const p = opts.p ?? (kind === 'pow' ? NaN : 0);
    if (!Number.isFinite(p))
        throw new KernelError(`${name}: '${kind}' needs a finite parameter p, got ${opts.p}`);
    const rtol = opts.rtol ?? 0;
    if (!(rtol >= 0) || !Number.isFinite(rtol))
        throw new KernelError(`${name}: rtol must be a finite number >= 0, got ${opts.rtol}`);
    if (n === 0)
        return new Float64Array(0);
    return k.scope(() => {
        const A = k.f64(n * n, a);
        const out = k.f64(n * n);
        const status = k.fn('symFunction')(n, A.ptr, n, out.ptr, n, KIND[kind], p, rtol);
        if (status === 3) {
            throw new KernelError(NEEDS_DEFINITE(kind, p)
                ? `${name}: matrix is not positive definite (an eigenvalue <= rtol * max|eigenvalue|)`
                : `${name}: matrix has a significantly negative eigenvalue (< -rtol * max|eigenvalue|)`);
        }
        k.check(name, status);
        return out.toArray();
    });
}
/** A^{1/2} of a symmetric positive semidefinite A (tiny negative eigenvalues within rtol are set to 0). */
export function symSqrt(k, a, n, opts = {}) {
    return symFunction(k, a, n, 'sqrt', { rtol: opts.rtol }, 'symSqrt');
}
/** A^{-1/2} of a symmetric positive definite A. */
export function symInvSqrt(k, a, n, opts = {}) {
    return symFunction(k, a, n, 'invsqrt', { rtol: opts.rtol }, 'symInvSqrt');
}
/**
 * sum_j f[j] v_j v_j^T for the m columns v_j of `v` (n x m row-major) — rebuild a symmetric matrix
 * from (part of) an eigendecomposition.
 */
export function symFromEigen(k, f, v, n, m = f.length) {
    if (!Number.isInteger(n) || n < 0)
        throw new KernelError(`symFromEigen: order must be a non-negative integer, got ${n}`);
    if (!Number.isInteger(m) || m < 0 || f.length !== m)
        throw new KernelError(`symFromEigen: need ${m} values f, got ${f.length}`);
    if (v.length !== n * m)
        throw new KernelError(`symFromEigen: vectors must be ${n}x${m} = ${n * m} values, got ${v.length}`);
    if (n === 0)
        return new Float64Array(0);
    return k.scope(() => {
        const F = k.f64(Math.max(m, 1), f);
        const V = k.f64(Math.max(n * m, 1), v);
        const out = k.f64(n * n);
        k.check('symFromEigen', k.fn('symFromEigen')(n, m, F.ptr, V.ptr, m, out.ptr, n));
        return out.toArray();
    });
}
/**
 * The nDof x 3 matrix (row-major) whose columns are the three uniform translations of nAtoms atoms
 * with Cartesian degrees of freedom ordered (atom0 x, y, z, atom1 x, ...). Not normalised.
 */
export function uniformTranslations(nAtoms) {
    if (!Number.isInteger(nAtoms) || nAtoms < 0)
        throw new KernelError(`uniformTranslations: bad atom count ${nAtoms}`);
    const n = 3 * nAtoms;
    const x = new Float64Array(n * 3);
    for (let a = 0; a < nAtoms; a++)
        for (let c = 0; c < 3; c++)
            x[(3 * a + c) * 3 + c] = 1;
    return x;
}
/**
 * Pseudo-inverse of the symmetric A on the orthogonal complement of span(x).
 *
 * `x` is n x nx row-major; its COLUMNS are the vectors to exclude (e.g. `uniformTranslations`),
 * not necessarily orthonormal or independent. The result A+ satisfies A+ x = 0, is symmetric,
 * and on the complement it is the inverse of A restricted there, except that complement
 * eigenvalues with |lambda| <= rcond * max|lambda| (default rcond 1e-10) are dropped as well.
 * Excluded modes are identified by their overlap with span(x), not by the size of their eigenvalue
 * (see assembly/linalg/matfun.ts for the method).
 */
export function symPinvExcluding(k, a, n, x, nx, opts = {}) {
    const name = 'symPinvExcluding';
    checkMatrix(name, a, n);
    if (!Number.isInteger(nx) || nx < 0)
        throw new KernelError(`${name}: number of excluded vectors must be a non-negative integer, got ${nx}`);
    if (x.length !== n * nx)
        throw new KernelError(`${name}: the excluded vectors must be an ${n}x${nx} row-major array (${n * nx} values), got ${x.length}`);
    const rcond = opts.rcond ?? 1e-10;
    if (!(rcond >= 0) || !Number.isFinite(rcond))
        throw new KernelError(`${name}: rcond must be a finite number >= 0, got ${opts.rcond}`);
    if (n === 0)
        return new Float64Array(0);
    return k.scope(() => {
        const A = k.f64(n * n, a);
        const X = k.f64(Math.max(n * nx, 1), x);
        const out = k.f64(n * n);
        k.check(name, k.fn('symPinvExcluding')(n, A.ptr, n, X.ptr, nx, Math.max(nx, 0), out.ptr, n, rcond));
        return out.toArray();
    });
}
