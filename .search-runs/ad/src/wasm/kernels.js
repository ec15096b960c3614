// The memory layer: one loader for Node and the browser around build/anharmonic.wasm.
// It instantiates the module, hands out Float64Array views into WebAssembly memory without
// copying, frees what it allocated, and turns an AssemblyScript abort into a JS Error.
// A `memory.grow` detaches every ArrayBuffer view; `F64Buffer.view` checks the buffer each time
// it is read and rebuilds the view when memory has moved, so views are never stale.
/** Raised when a kernel aborts (an AssemblyScript `abort`/`throw` or a WebAssembly trap). */
export class KernelError extends Error {
    constructor(message) {
        super(message);
        this.name = 'KernelError';
    }
}
/** Messages of the kernel status codes (assembly/memory.ts). */
export const STATUS_MESSAGES = {
    1: 'input contains NaN or Inf',
    2: 'iteration did not converge',
    3: 'matrix is not positive definite',
    4: 'invalid argument',
};
/** A block of numbers (f64 or i32) in WebAssembly memory. */
export class WasmBuffer {
    owner;
    ctor;
    ptr;
    length;
    cached = null;
    freed = false;
    constructor(owner, ctor, 
    /** Byte address in linear memory. */
    ptr, 
    /** Number of elements. */
    length) {
        this.owner = owner;
        this.ctor = ctor;
        this.ptr = ptr;
        this.length = length;
    }
    /** A view on the block; rebuilt if memory grew since the last read. Do not keep it across calls. */
    get view() {
        if (this.freed)
            throw new KernelError('buffer used after free');
        const buf = this.owner.memory.buffer;
        if (this.cached === null || this.cached.buffer !== buf) {
            this.cached = new this.ctor(buf, this.ptr, this.length);
        }
        return this.cached;
    }
    /** Copy values in (from offset 0 by default). */
    set(values, offset = 0) {
        this.view.set(values, offset);
        return this;
    }
    /** A copy of the contents that outlives the buffer. */
    toArray() {
        return this.view.slice();
    }
    get isFreed() {
        return this.freed;
    }
    free() {
        if (this.freed)
            return;
        this.freed = true;
        this.cached = null;
        this.owner.release(this);
    }
}
/** f64 values in WebAssembly memory. */
export class F64Buffer extends WasmBuffer {
}
/** i32 values in WebAssembly memory (index lists, counts). */
export class I32Buffer extends WasmBuffer {
}
/** Decode an AssemblyScript string (UTF-16, byte length stored 4 bytes before the pointer). */
function readAsString(memory, ptr) {
    if (!ptr)
        return '';
    const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
    const units = new Uint16Array(memory.buffer, ptr, bytes >>> 1);
    let out = '';
    for (let i = 0; i < units.length; i += 4096) {
        out += String.fromCharCode(...units.subarray(i, i + 4096));
    }
    return out;
}
/** An instantiated kernel module with its allocator. */
export class Kernels {
    exports;
    live = new Set();
    scopes = [];
    constructor(instance) {
        this.exports = instance.exports;
    }
    /** Instantiate from the module's bytes or a compiled module (works in Node and browsers). */
    static async instantiate(source) {
        let self = null;
        const imports = {
            env: {
                abort(msg, file, line, column) {
                    const mem = self?.exports.memory;
                    const text = mem ? readAsString(mem, msg) : '';
                    const where = mem ? readAsString(mem, file) : '';
                    throw new KernelError(`kernel aborted: ${text || 'unknown reason'}${where ? ` (${where}:${line}:${column})` : ''}`);
                },
            },
        };
        const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
        const instance = await WebAssembly.instantiate(module, imports);
        self = new Kernels(instance);
        return self;
    }
    /** Fetch and instantiate (browsers, workers, or any host with `fetch`). */
    static async fromUrl(url) {
        const res = await fetch(url);
        if (!res.ok)
            throw new KernelError(`could not fetch ${String(url)}: HTTP ${res.status}`);
        return Kernels.instantiate(await res.arrayBuffer());
    }
    get memory() {
        return this.exports.memory;
    }
    /** Allocate n f64 values (uninitialised unless `init` is given, which is copied in). */
    f64(n, init, opts = {}) {
        const ptr = this.allocBytes(n, 8, 'f64');
        return this.track(new F64Buffer(this, Float64Array, ptr, n), init, opts);
    }
    /** Allocate n i32 values (uninitialised unless `init` is given). */
    i32(n, init, opts = {}) {
        const ptr = this.allocBytes(n, 4, 'i32');
        return this.track(new I32Buffer(this, Int32Array, ptr, n), init, opts);
    }
    allocBytes(n, size, what) {
        if (!Number.isInteger(n) || n < 0)
            throw new RangeError(`${what}(): bad length ${n}`);
        const ptr = this.exports.alloc(Math.max(16, n * size));
        if (!ptr)
            throw new KernelError(`allocation of ${n} ${what} failed`);
        return ptr;
    }
    track(b, init, opts) {
        this.live.add(b);
        const top = this.scopes[this.scopes.length - 1];
        if (top && !opts.owned)
            top.push(b);
        if (init)
            b.set(init);
        return b;
    }
    /** Run `fn`; every buffer allocated inside is freed afterwards (even on error). */
    scope(fn) {
        this.scopes.push([]);
        try {
            return fn();
        }
        finally {
            for (const b of this.scopes.pop())
                b.free();
        }
    }
    /** Number of buffers allocated and not yet freed (for leak tests). */
    get liveBuffers() {
        return this.live.size;
    }
    /** @internal */
    release(b) {
        if (this.live.delete(b))
            this.exports.free(b.ptr);
    }
    /** Call a kernel that returns a status code; throw a readable error on failure. */
    check(name, status) {
        if (status !== 0) {
            throw new KernelError(`${name}: ${STATUS_MESSAGES[status] ?? `failed with status ${status}`}`);
        }
    }
    /** A raw export by name, typed loosely. */
    fn(name) {
        const f = this.exports[name];
        if (typeof f !== 'function')
            throw new KernelError(`kernel "${name}" is not exported by this module`);
        return f;
    }
}
// The default module for code that is not handed one. Node registers its file loader when
// src/node/kernels.ts is imported; other hosts set one (or pass `kernels` explicitly).
let defaultLoader = null;
let defaultInstance = null;
/** Set how the default kernel module is obtained (e.g. `() => Kernels.fromUrl(url)` in a browser). */
export function setDefaultKernelLoader(loader) {
    defaultLoader = loader;
    defaultInstance = null;
}
/** The default kernel module (loaded once). */
export function defaultKernels() {
    if (!defaultInstance) {
        if (!defaultLoader) {
            return Promise.reject(new KernelError('no kernel module: pass `kernels` (Kernels.fromUrl(url) in a browser) or call setDefaultKernelLoader() first'));
        }
        defaultInstance = defaultLoader();
    }
    return defaultInstance;
}
