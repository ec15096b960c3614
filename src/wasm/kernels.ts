// The memory layer: one loader for Node and the browser around build/anharmonic.wasm.
// It instantiates the module, hands out Float64Array views into WebAssembly memory without
// copying, frees what it allocated, and turns an AssemblyScript abort into a JS Error.
// A `memory.grow` detaches every ArrayBuffer view; `F64Buffer.view` checks the buffer each time
// it is read and rebuilds the view when memory has moved, so views are never stale.

/** The raw exports of the module (numbers and pointers only). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  [name: string]: unknown;
}

/** Raised when a kernel aborts (an AssemblyScript `abort`/`throw` or a WebAssembly trap). */
export class KernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelError';
  }
}

/** Messages of the kernel status codes (assembly/memory.ts). */
export const STATUS_MESSAGES: Record<number, string> = {
  1: 'input contains NaN or Inf',
  2: 'iteration did not converge',
  3: 'matrix is not positive definite',
  4: 'invalid argument',
};

type Typed = Float64Array | Int32Array;
type TypedCtor<T extends Typed> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

/** A block of numbers (f64 or i32) in WebAssembly memory. */
export class WasmBuffer<T extends Typed> {
  private cached: T | null = null;
  private freed = false;
  constructor(
    private readonly owner: Kernels,
    private readonly ctor: TypedCtor<T>,
    /** Byte address in linear memory. */
    readonly ptr: number,
    /** Number of elements. */
    readonly length: number,
  ) {}

  /** A view on the block; rebuilt if memory grew since the last read. Do not keep it across calls. */
  get view(): T {
    if (this.freed) throw new KernelError('buffer used after free');
    const buf = this.owner.memory.buffer as ArrayBuffer;
    if (this.cached === null || this.cached.buffer !== buf) {
      this.cached = new this.ctor(buf, this.ptr, this.length);
    }
    return this.cached;
  }

  /** Copy values in (from offset 0 by default). */
  set(values: ArrayLike<number>, offset = 0): this {
    this.view.set(values, offset);
    return this;
  }

  /** A copy of the contents that outlives the buffer. */
  toArray(): T {
    return this.view.slice() as T;
  }

  get isFreed(): boolean {
    return this.freed;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.cached = null;
    this.owner.release(this);
  }
}

/** f64 values in WebAssembly memory. */
export class F64Buffer extends WasmBuffer<Float64Array> {}
/** i32 values in WebAssembly memory (index lists, counts). */
export class I32Buffer extends WasmBuffer<Int32Array> {}

export interface AllocOptions {
  /** The caller frees it: not released at the end of an enclosing `scope()` (long-lived state). */
  owned?: boolean;
}

/** Decode an AssemblyScript string (UTF-16, byte length stored 4 bytes before the pointer). */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  const units = new Uint16Array(memory.buffer, ptr, bytes >>> 1);
  let out = '';
  for (let i = 0; i < units.length; i += 4096) {
    out += String.fromCharCode(...units.subarray(i, i + 4096));
  }
  return out;
}

/** Anything `WebAssembly.instantiate` accepts as module source. */
export type WasmSource = BufferSource | WebAssembly.Module;

/** An instantiated kernel module with its allocator. */
export class Kernels {
  readonly exports: KernelExports;
  private live = new Set<WasmBuffer<Typed>>();
  private scopes: WasmBuffer<Typed>[][] = [];

  private constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as KernelExports;
  }

  /** Instantiate from the module's bytes or a compiled module (works in Node and browsers). */
  static async instantiate(source: WasmSource): Promise<Kernels> {
    let self: Kernels | null = null;
    const imports = {
      env: {
        abort(msg: number, file: number, line: number, column: number): never {
          const mem = self?.exports.memory;
          const text = mem ? readAsString(mem, msg) : '';
          const where = mem ? readAsString(mem, file) : '';
          throw new KernelError(
            `kernel aborted: ${text || 'unknown reason'}${where ? ` (${where}:${line}:${column})` : ''}`,
          );
        },
      },
    };
    const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
    const instance = await WebAssembly.instantiate(module, imports);
    self = new Kernels(instance);
    return self;
  }

  /** Fetch and instantiate (browsers, workers, or any host with `fetch`). */
  static async fromUrl(url: string | URL): Promise<Kernels> {
    const res = await fetch(url);
    if (!res.ok) throw new KernelError(`could not fetch ${String(url)}: HTTP ${res.status}`);
    return Kernels.instantiate(await res.arrayBuffer());
  }

  get memory(): WebAssembly.Memory {
    return this.exports.memory;
  }

  /** Allocate n f64 values (uninitialised unless `init` is given, which is copied in). */
  f64(n: number, init?: ArrayLike<number>, opts: AllocOptions = {}): F64Buffer {
    const ptr = this.allocBytes(n, 8, 'f64');
    return this.track(new F64Buffer(this, Float64Array, ptr, n), init, opts);
  }

  /** Allocate n i32 values (uninitialised unless `init` is given). */
  i32(n: number, init?: ArrayLike<number>, opts: AllocOptions = {}): I32Buffer {
    const ptr = this.allocBytes(n, 4, 'i32');
    return this.track(new I32Buffer(this, Int32Array, ptr, n), init, opts);
  }

  private allocBytes(n: number, size: number, what: string): number {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what}(): bad length ${n}`);
    const ptr = this.exports.alloc(Math.max(16, n * size));
    if (!ptr) throw new KernelError(`allocation of ${n} ${what} failed`);
    return ptr;
  }

  private track<B extends WasmBuffer<Typed>>(b: B, init: ArrayLike<number> | undefined, opts: AllocOptions): B {
    this.live.add(b);
    const top = this.scopes[this.scopes.length - 1];
    if (top && !opts.owned) top.push(b);
    if (init) b.set(init);
    return b;
  }

  /** Run `fn`; every buffer allocated inside is freed afterwards (even on error). */
  scope<T>(fn: () => T): T {
    this.scopes.push([]);
    try {
      return fn();
    } finally {
      for (const b of this.scopes.pop()!) b.free();
    }
  }

  /** Number of buffers allocated and not yet freed (for leak tests). */
  get liveBuffers(): number {
    return this.live.size;
  }

  /** @internal */
  release(b: WasmBuffer<Typed>): void {
    if (this.live.delete(b)) this.exports.free(b.ptr);
  }

  /** Call a kernel that returns a status code; throw a readable error on failure. */
  check(name: string, status: number): void {
    if (status !== 0) {
      throw new KernelError(`${name}: ${STATUS_MESSAGES[status] ?? `failed with status ${status}`}`);
    }
  }

  /** A raw export by name, typed loosely. */
  fn<F extends (...args: never[]) => unknown>(name: string): F {
    const f = this.exports[name];
    if (typeof f !== 'function') throw new KernelError(`kernel "${name}" is not exported by this module`);
    return f as F;
  }
}

// The default module for code that is not handed one. Node registers its file loader when
// src/node/kernels.ts is imported; other hosts set one (or pass `kernels` explicitly).
let defaultLoader: (() => Promise<Kernels>) | null = null;
let defaultInstance: Promise<Kernels> | null = null;

/** Set how the default kernel module is obtained (e.g. `() => Kernels.fromUrl(url)` in a browser). */
export function setDefaultKernelLoader(loader: () => Promise<Kernels>): void {
  defaultLoader = loader;
  defaultInstance = null;
}

/** The default kernel module (loaded once). */
export function defaultKernels(): Promise<Kernels> {
  if (!defaultInstance) {
    if (!defaultLoader) {
      return Promise.reject(
        new KernelError(
          'no kernel module: pass `kernels` (Kernels.fromUrl(url) in a browser) or call setDefaultKernelLoader() first',
        ),
      );
    }
    defaultInstance = defaultLoader();
  }
  return defaultInstance;
}
