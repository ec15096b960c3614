// Node adapter for moyo-wasm: reads the WASM file from node_modules and initialises it
// synchronously (Node's fetch cannot load file: URLs, so the package's async init does not work
// here). Browsers use `initMoyo(url)` from src/symmetry/moyo.ts instead.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as moyoWasm from '@spglib/moyo-wasm';
import { initMoyoSync } from '../symmetry/moyo.js';
let handle;
/** Initialise moyo once per process (idempotent) and register it for src/symmetry. */
export function loadMoyo() {
    if (!handle) {
        const require = createRequire(import.meta.url);
        const bytes = readFileSync(require.resolve('@spglib/moyo-wasm/moyo_wasm_bg.wasm'));
        handle = initMoyoSync(bytes, moyoWasm);
    }
    return handle;
}
