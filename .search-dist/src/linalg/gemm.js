// Dense matrix multiply on the WebAssembly kernel `dgemm` (assembly/linalg/gemm.ts):
//   C = alpha * op(A) * op(B) + beta * C,   op(X) = X or X^T,   row-major f64.
// Two entry points:
//   gemm(k, A, B, opts)              plain JS arrays in, a new (or the given) C out; copies in/out.
//   gemmBuffers(k, A, B, C, opts)    in place on matrices that already live in kernel memory
//                                    (F64Buffer handles with optional offset and row stride).
// Results are deterministic: the summation order depends only on the sizes (see the kernel).
import { F64Buffer, KernelError } from '../wasm/kernels.js';
const I32_MAX = 0x7fffffff;
function checkDim(what, v) {
    if (!Number.isInteger(v) || v < 0 || v > I32_MAX) {
        throw new RangeError(`gemm: ${what} must be a non-negative integer, got ${v}`);
    }
}
function checkScalar(what, v) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new RangeError(`gemm: ${what} must be a finite number, got ${v}`);
    }
}
/** Refuse NaN/Inf in an input matrix, naming the element (a NaN product is no answer). */
function checkFinite(name, x) {
    const d = x.data;
    for (let i = 0; i < d.length; i++) {
        if (!Number.isFinite(d[i])) {
            const r = Math.floor(i / Math.max(1, x.cols));
            throw new RangeError(`gemm: ${name} contains ${d[i]} at (${r}, ${i - r * x.cols})`);
        }
    }
}
/** op(X)'s shape from X's stored shape. */
/** The flags with their defaults (no transposes, alpha = 1, beta = 0); alpha and beta must be finite. */
function resolveFlags(f) {
    const alpha = f.alpha ?? 1;
    const beta = f.beta ?? 0;
    checkScalar('alpha', alpha);
    checkScalar('beta', beta);
    return { transA: !!f.transA, transB: !!f.transB, alpha, beta };
}
function opShape(rows, cols, trans) {
    return trans ? [cols, rows] : [rows, cols];
}
function shapeStr(r, c) {
    return `${r}x${c}`;
}
/** Check op(A) (m x k) * op(B) (k x n) against C (m x n); return [m, n, k]. */
function checkShapes(a, b, c, transA, transB) {
    for (const [name, x] of [['A', a], ['B', b], ['C', c]]) {
        if (!x)
            continue;
        checkDim(`${name}.rows`, x.rows);
        checkDim(`${name}.cols`, x.cols);
    }
    const [m, ka] = opShape(a.rows, a.cols, transA);
    const [kb, n] = opShape(b.rows, b.cols, transB);
    if (ka !== kb) {
        throw new RangeError(`gemm: inner dimensions differ: op(A) is ${shapeStr(m, ka)}${transA ? ' (A transposed)' : ''}, ` +
            `op(B) is ${shapeStr(kb, n)}${transB ? ' (B transposed)' : ''}`);
    }
    if (c && (c.rows !== m || c.cols !== n)) {
        throw new RangeError(`gemm: C is ${shapeStr(c.rows, c.cols)}, expected ${shapeStr(m, n)} for op(A)*op(B)`);
    }
    return [m, n, ka];
}
/**
 * C = alpha * op(A) * op(B) + beta * C on row-major arrays (copied into kernel memory and back).
 * Returns C: `opts.C` (overwritten) when given, otherwise a new m x n matrix.
 */
export function gemm(k, A, B, opts = {}) {
    const { transA, transB, alpha, beta } = resolveFlags(opts);
    const [m, n, kk] = checkShapes(A, B, opts.C ?? null, transA, transB);
    for (const [name, X] of [['A', A], ['B', B]]) {
        if (X.data.length !== X.rows * X.cols) {
            throw new RangeError(`gemm: ${name}.data has ${X.data.length} values, expected ${X.rows}*${X.cols} = ${X.rows * X.cols}`);
        }
    }
    checkFinite('A', A);
    checkFinite('B', B);
    if (beta !== 0 && opts.C)
        checkFinite('C', opts.C);
    const C = opts.C ?? { rows: m, cols: n, data: new Float64Array(m * n) };
    if (!(C.data instanceof Float64Array))
        throw new TypeError('gemm: C.data must be a Float64Array');
    if (C.data.length !== m * n) {
        throw new RangeError(`gemm: C.data has ${C.data.length} values, expected ${m}*${n} = ${m * n}`);
    }
    if (m === 0 || n === 0)
        return C;
    const dgemm = k.fn('dgemm');
    k.scope(() => {
        const a = k.f64(A.data.length, A.data);
        const b = k.f64(B.data.length, B.data);
        const c = k.f64(m * n);
        if (beta !== 0)
            c.set(C.data);
        dgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, kk, alpha, a.ptr, Math.max(1, A.cols), b.ptr, Math.max(1, B.cols), beta, c.ptr, n);
        C.data.set(c.view);
    });
    return C;
}
function bufferExtent(name, x) {
    if (!(x.buf instanceof F64Buffer))
        throw new TypeError(`gemm: ${name}.buf must be an F64Buffer`);
    if (x.buf.isFreed)
        throw new KernelError(`gemm: ${name}.buf has been freed`);
    const ld = x.ld ?? x.cols;
    const offset = x.offset ?? 0;
    checkDim(`${name}.ld`, ld);
    checkDim(`${name}.offset`, offset);
    if (ld < x.cols)
        throw new RangeError(`gemm: ${name}.ld = ${ld} is smaller than ${name}.cols = ${x.cols}`);
    const used = x.rows === 0 || x.cols === 0 ? 0 : (x.rows - 1) * ld + x.cols;
    if (offset + used > x.buf.length) {
        throw new RangeError(`gemm: ${name} (${shapeStr(x.rows, x.cols)}, ld ${ld}, offset ${offset}) needs ${offset + used} elements, ` +
            `buffer has ${x.buf.length}`);
    }
    const start = x.buf.ptr + 8 * offset;
    return { ld, start, end: start + 8 * used };
}
/**
 * In place on kernel memory: C = alpha * op(A) * op(B) + beta * C. No copies. C must not overlap
 * A or B.
 */
export function gemmBuffers(k, A, B, C, flags = {}) {
    const { transA, transB, alpha, beta } = resolveFlags(flags);
    const [m, n, kk] = checkShapes(A, B, C, transA, transB);
    const ea = bufferExtent('A', A);
    const eb = bufferExtent('B', B);
    const ec = bufferExtent('C', C);
    if (m === 0 || n === 0)
        return;
    for (const [name, e] of [['A', ea], ['B', eb]]) {
        if (e.start < ec.end && ec.start < e.end)
            throw new RangeError(`gemm: C overlaps ${name} in memory`);
    }
    const dgemm = k.fn('dgemm');
    dgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, kk, alpha, ea.start, Math.max(1, ea.ld), eb.start, Math.max(1, eb.ld), beta, ec.start, Math.max(1, ec.ld));
}
