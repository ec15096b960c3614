import { fullFinite } from "./linalg/common";

// Raw memory for the TypeScript side. Kernels work on pointers into linear memory; the
// host allocates through these two exports and reads/writes through typed-array views.
// Blocks come from the TLSF allocator (runtime "minimal"), 16-byte aligned, so v128 loads
// on them are aligned.

/** Allocate `bytes` bytes (16-byte aligned). Contents are undefined. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Release a block obtained from `alloc`. */
export function free(ptr: usize): void {
  heap.free(ptr);
}

/** Status codes returned by kernels (0 = success). The host maps them to messages. */
export const STATUS_OK: i32 = 0;
export const STATUS_NONFINITE_INPUT: i32 = 1;
export const STATUS_NO_CONVERGENCE: i32 = 2;
export const STATUS_NOT_POSITIVE_DEFINITE: i32 = 3;
export const STATUS_BAD_ARGUMENT: i32 = 4;

/** True when the rows x cols values at `p` (row stride `ld`) are all finite (no NaN, no Inf). */
export function allFinite(p: usize, rows: i32, cols: i32, ld: i32): bool {
  return fullFinite(rows, cols, p, ld);
}

/** Test hook: aborts with a message, so the host's abort-to-Error path can be checked. */
export function __testAbort(code: i32): void {
  if (code != 0) abort("test abort code " + code.toString());
}
