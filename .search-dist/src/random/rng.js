// Counter-based random numbers (Philox4x32-10) from the WebAssembly kernels in
// assembly/random/rng.ts. See docs/random.md for the algorithm and the guarantees.
//
// Every value is a pure function of (seed, stream, kind, index): `new Rng(k, seed, stream)` is a
// cheap handle with no state except two cursors, and any slice of a stream can be regenerated
// exactly, in any chunking, on any machine where the module runs (Node or a browser).
//
// The kernels take their 64-bit arguments (seed, stream, offset) as WebAssembly i64, which
// JavaScript passes as BigInt; this wrapper accepts numbers (safe integers) or bigints and
// converts them.
import { F64Buffer, KernelError } from '../wasm/kernels.js';
const TWO_64 = 1n << 64n;
const I32_MAX = 0x7fffffff;
/** A 64-bit unsigned integer argument as BigInt, with a clear error otherwise. */
export function toU64(what, v) {
    if (typeof v === 'bigint') {
        if (v < 0n || v >= TWO_64)
            throw new RangeError(`${what} must be in [0, 2^64), got ${v}`);
        return v;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new RangeError(`${what} must be a non-negative integer (number or bigint), got ${String(v)}`);
    }
    if (!Number.isSafeInteger(v)) {
        throw new RangeError(`${what} = ${v} is above 2^53 and not exactly representable as a number: pass a bigint`);
    }
    return BigInt(v);
}
function checkCount(n) {
    if (!Number.isInteger(n) || n < 0 || n > I32_MAX) {
        throw new RangeError(`count must be an integer in [0, 2^31), got ${n}`);
    }
}
/** A Philox4x32-10 stream: uniform (0,1) and standard normal doubles addressed by index. */
export class Rng {
    k;
    /** The 64-bit key. */
    seed;
    /** The 64-bit stream id (second half of the counter). */
    stream;
    uniformPos = 0n;
    normalPos = 0n;
    fillU;
    fillN;
    /**
     * @param k      the kernel module
     * @param seed   integer in [0, 2^64): a number (up to 2^53) or a bigint
     * @param stream integer in [0, 2^64): independent streams of one seed (e.g. one per walker)
     */
    constructor(k, seed, stream = 0) {
        this.k = k;
        this.seed = toU64('seed', seed);
        this.stream = toU64('stream', stream);
        this.fillU = k.fn('rngUniform');
        this.fillN = k.fn('rngNormal');
    }
    /** Another stream of the same seed. */
    withStream(stream) {
        return new Rng(this.k, this.seed, stream);
    }
    /** Index of the next uniform that `uniform(n)` without an offset returns. */
    get uniformPosition() {
        return this.uniformPos;
    }
    /** Index of the next normal that `normal(n)` without an offset returns. */
    get normalPosition() {
        return this.normalPos;
    }
    /** Resolve [start, start + n) and move the cursor to its end. */
    range(n, offset, kind) {
        checkCount(n);
        const start = offset === undefined ? (kind === 'uniform' ? this.uniformPos : this.normalPos) : toU64('offset', offset);
        const end = start + BigInt(n);
        if (end > TWO_64)
            throw new RangeError(`[offset, offset + ${n}) runs past the end of the stream (2^64 values)`);
        if (kind === 'uniform')
            this.uniformPos = end;
        else
            this.normalPos = end;
        return start;
    }
    generate(fill, n, start) {
        if (n === 0)
            return new Float64Array(0);
        return this.k.scope(() => {
            const b = this.k.f64(n);
            fill(this.seed, this.stream, start, n, b.ptr);
            return b.toArray();
        });
    }
    /**
     * Uniform doubles in (0, 1) (never 0 or 1): values [offset, offset + n) of this stream. Without
     * `offset`, continues where the previous uniform call ended (from 0 at first). Either way the
     * uniform cursor moves to offset + n.
     */
    uniform(n, offset) {
        return this.generate(this.fillU, n, this.range(n, offset, 'uniform'));
    }
    /** Standard normal deviates [offset, offset + n) of this stream (cursor as for `uniform`). */
    normal(n, offset) {
        return this.generate(this.fillN, n, this.range(n, offset, 'normal'));
    }
    fillBuffer(fill, kind, buf, offset, count, at = 0) {
        if (!(buf instanceof F64Buffer))
            throw new TypeError(`fill: buf must be an F64Buffer`);
        if (buf.isFreed)
            throw new KernelError('fill: buffer has been freed');
        const n = count ?? buf.length - at;
        checkCount(at);
        checkCount(n);
        if (at + n > buf.length)
            throw new RangeError(`fill: ${n} values from element ${at} exceed the buffer (${buf.length})`);
        const start = this.range(n, offset, kind);
        if (n > 0)
            fill(this.seed, this.stream, start, n, buf.ptr + 8 * at);
    }
    /**
     * Write normals [offset, offset + count) into kernel memory, from element `at` of `buf` (default:
     * the whole buffer). No copies. Cursor as for `normal`.
     */
    fillNormal(buf, offset, count, at = 0) {
        this.fillBuffer(this.fillN, 'normal', buf, offset, count, at);
    }
    /** Like `fillNormal`, with uniforms. */
    fillUniform(buf, offset, count, at = 0) {
        this.fillBuffer(this.fillU, 'uniform', buf, offset, count, at);
    }
}
/**
 * The raw Philox4x32-10 bijection: counter (c0..c3) under key (k0, k1), all u32. For known-answer
 * tests and for anyone who wants the bits.
 */
export function philox4x32(k, counter, key) {
    for (const v of [...counter, ...key]) {
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
            throw new RangeError(`philox4x32: words must be u32, got ${v}`);
    }
    const f = k.fn('philoxBlock');
    return k.scope(() => {
        const b = k.f64(2);
        f(key[0], key[1], counter[0], counter[1], counter[2], counter[3], b.ptr);
        return new Uint32Array(k.memory.buffer, b.ptr, 4).slice();
    });
}
