// Node adapter: read the compiled module from the package's build/ folder.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Kernels, setDefaultKernelLoader } from '../wasm/kernels.js';
// src/node/ when run from source (vitest, tsx), dist/src/node/ when compiled.
const DEFAULT_WASM = [new URL('../../build/anharmonic.wasm', import.meta.url), new URL('../../../build/anharmonic.wasm', import.meta.url)].find((u) => existsSync(u)) ?? new URL('../../build/anharmonic.wasm', import.meta.url);
const cache = new Map();
/** Load (once per path) and instantiate the kernel module. `path` overrides the default file. */
export function loadKernels(path) {
    const key = String(path ?? DEFAULT_WASM);
    let p = cache.get(key);
    if (!p) {
        p = readFile(path ?? DEFAULT_WASM).then((bytes) => Kernels.instantiate(bytes));
        cache.set(key, p);
    }
    return p;
}
/** A fresh instance (own memory), never cached. */
export async function freshKernels(path) {
    return Kernels.instantiate(await readFile(path ?? DEFAULT_WASM));
}
// In Node the package's own build is the default module.
setDefaultKernelLoader(() => loadKernels());
