// A fixed workload over the core kernels (normal deviates, GEMM, symmetric eigensolver) whose
// outputs are hashed. It runs unchanged in Node and in a browser; equal digests mean the two
// platforms produced bit-identical results. The CLI demo prints the same digests.
import type { Kernels } from './kernels.js';

export interface SelfCheckResult {
  /** Name of each output and an FNV-1a 64-bit digest of its raw bytes (hex). */
  digests: Record<string, string>;
  /** A few values for humans (the digests are what is compared). */
  samples: Record<string, number[]>;
  /** Milliseconds spent per part (informative only; not part of the comparison). */
  timings: Record<string, number>;
}

/** FNV-1a over the bytes of a Float64Array, as 16 hex digits (no platform crypto needed). */
export function digestF64(a: Float64Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = (1n << 64n) - 1n;
  // Fold 4 bytes at a time into the 64-bit state to keep BigInt work small.
  const words = new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  for (let i = 0; i < words.length; i++) {
    h = ((h ^ BigInt(words[i])) * prime) & mask;
  }
  return h.toString(16).padStart(16, '0');
}

export interface SelfCheckOptions {
  /** Size of the symmetric eigenproblem (default 96). */
  eighN?: number;
  /** Size of the square GEMM (default 128). */
  gemmN?: number;
  /** Number of normal deviates (default 100000). */
  normals?: number;
  seed?: bigint;
  now?: () => number;
}

type NormalFn = (seed: bigint, stream: bigint, offset: bigint, n: number, out: number) => void;
type GemmFn = (...args: number[]) => void;
type EighFn = (n: number, a: number, lda: number, w: number, v: number, ldv: number) => number;

/** Run the fixed workload and hash its outputs. */
export function runSelfCheck(k: Kernels, opts: SelfCheckOptions = {}): SelfCheckResult {
  const n = opts.eighN ?? 96;
  const g = opts.gemmN ?? 128;
  const count = opts.normals ?? 100_000;
  const seed = opts.seed ?? 20250601n;
  const now = opts.now ?? (() => Date.now());
  const normal = k.fn<NormalFn>('rngNormal');
  const dgemm = k.fn<GemmFn>('dgemm');
  const eighSym = k.fn<EighFn>('eighSym');
  const digests: Record<string, string> = {};
  const samples: Record<string, number[]> = {};
  const timings: Record<string, number> = {};

  k.scope(() => {
    let t = now();
    const z = k.f64(count);
    normal(seed, 0n, 0n, count, z.ptr);
    timings.normals = now() - t;
    digests.normals = digestF64(z.view);
    samples.normals = Array.from(z.view.subarray(0, 4));

    // GEMM of two random matrices (streams 1 and 2).
    const a = k.f64(g * g);
    const b = k.f64(g * g);
    const c = k.f64(g * g);
    normal(seed, 1n, 0n, g * g, a.ptr);
    normal(seed, 2n, 0n, g * g, b.ptr);
    t = now();
    dgemm(0, 0, g, g, g, 1, a.ptr, g, b.ptr, g, 0, c.ptr, g);
    dgemm(1, 0, g, g, g, 0.5, a.ptr, g, b.ptr, g, 1, c.ptr, g);
    timings.gemm = now() - t;
    digests.gemm = digestF64(c.view);
    samples.gemm = Array.from(c.view.subarray(0, 4));

    // Symmetric eigenproblem: S = (X + X^T)/2 plus a threefold-degenerate block so the
    // degenerate path is exercised too.
    const x = k.f64(n * n);
    normal(seed, 3n, 0n, n * n, x.ptr);
    const s = k.f64(n * n);
    const xv = x.view;
    const sv = s.view;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) sv[i * n + j] = 0.5 * (xv[i * n + j] + xv[j * n + i]);
    }
    for (let i = 0; i + 2 < n && i < 9; i += 3) {
      for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) sv[(i + p) * n + i + q] = p === q ? 2 : 0;
      for (let p = 0; p < 3; p++) {
        for (let j = 0; j < n; j++) {
          if (j >= i && j < i + 3) continue;
          sv[(i + p) * n + j] = 0;
          sv[j * n + i + p] = 0;
        }
      }
    }
    const w = k.f64(n);
    const v = k.f64(n * n);
    t = now();
    k.check('eighSym', eighSym(n, s.ptr, n, w.ptr, v.ptr, n));
    timings.eigh = now() - t;
    digests.eigenvalues = digestF64(w.view);
    digests.eigenvectors = digestF64(v.view);
    samples.eigenvalues = Array.from(w.view.subarray(0, 4));
  });
  return { digests, samples, timings };
}
