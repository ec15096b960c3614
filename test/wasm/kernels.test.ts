import { describe, expect, it } from 'vitest';
import { freshKernels, loadKernels } from '../../src/node/kernels.js';
import { KernelError } from '../../src/wasm/kernels.js';

describe('memory layer', () => {
  it('hands out views without copying and frees what it allocated', async () => {
    const k = await freshKernels();
    const a = k.f64(4, [1, 2, 3, 4]);
    const v1 = a.view;
    expect(v1.buffer).toBe(k.memory.buffer); // a view, not a copy
    expect(v1.byteOffset).toBe(a.ptr);
    expect(Array.from(a.view)).toEqual([1, 2, 3, 4]);
    expect(k.liveBuffers).toBe(1);
    a.free();
    expect(k.liveBuffers).toBe(0);
    expect(() => a.view).toThrow(/after free/);
  });

  it('survives memory.grow: views are rebuilt, contents kept', async () => {
    const k = await freshKernels();
    const a = k.f64(3, [7, 8, 9]);
    const before = a.view;
    const pagesBefore = k.memory.buffer.byteLength / 65536;
    // Allocate far more than the initial memory so the module must grow.
    const big = k.f64(4 * 1024 * 1024);
    const pagesAfter = k.memory.buffer.byteLength / 65536;
    expect(pagesAfter).toBeGreaterThan(pagesBefore);
    expect(before.byteLength).toBe(0); // the old view is detached, as the platform does
    expect(Array.from(a.view)).toEqual([7, 8, 9]); // the handle's view is fresh
    big.view[big.length - 1] = 42;
    expect(big.view[big.length - 1]).toBe(42);
    big.free();
    a.free();
  });

  it('scope() frees everything allocated inside, even on error', async () => {
    const k = await freshKernels();
    expect(() =>
      k.scope(() => {
        k.f64(10);
        k.f64(20);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(k.liveBuffers).toBe(0);
    const reused = k.scope(() => k.f64(5, [1, 2, 3, 4, 5]).toArray());
    expect(Array.from(reused)).toEqual([1, 2, 3, 4, 5]);
    expect(k.liveBuffers).toBe(0);
  });

  it('i32 buffers and owned buffers that outlive a scope', async () => {
    const k = await freshKernels();
    const kept = k.scope(() => {
      const idx = k.i32(3, [4, -5, 6]);
      expect(idx.view).toBeInstanceOf(Int32Array);
      expect(Array.from(idx.view)).toEqual([4, -5, 6]);
      return k.f64(2, [1.5, 2.5], { owned: true });
    });
    expect(k.liveBuffers).toBe(1); // the scoped i32 buffer is gone, the owned one stays
    expect(Array.from(kept.view)).toEqual([1.5, 2.5]);
    kept.free();
    expect(k.liveBuffers).toBe(0);
  });

  it('freed memory is reused (no leak across many calls)', async () => {
    const k = await freshKernels();
    const pages0 = k.memory.buffer.byteLength;
    for (let i = 0; i < 200; i++) k.f64(256 * 1024).free(); // 2 MB each, 400 MB total
    expect(k.memory.buffer.byteLength).toBeLessThanOrEqual(pages0 + 4 * 1024 * 1024);
  });

  it('turns an AssemblyScript abort into a readable Error', async () => {
    const k = await freshKernels();
    // abort is reachable through the exported test hook
    const hook = k.fn<(code: number) => void>('__testAbort');
    expect(() => hook(3)).toThrow(KernelError);
    expect(() => hook(3)).toThrow(/kernel aborted: test abort/);
  });

  it('loadKernels caches one instance per file', async () => {
    expect(await loadKernels()).toBe(await loadKernels());
  });
});
