export class SymmetryError extends Error {
    constructor(message, options) {
        super(message, options);
        this.name = 'SymmetryError';
    }
}
let registered;
/** Register an initialised moyo handle (done by `initMoyo` and by the Node adapter). */
export function setMoyo(handle) {
    registered = handle;
}
/** Whether a moyo handle has been registered. */
export function hasMoyo() {
    return registered !== undefined;
}
/** The registered moyo handle; throws a SymmetryError telling how to initialise it if missing. */
export function getMoyo(handle) {
    const h = handle ?? registered;
    if (!h) {
        throw new SymmetryError('moyo is not initialised: call loadMoyo() from src/node/moyo.ts (Node) or await initMoyo(wasmUrl) (browser) first');
    }
    return h;
}
/**
 * Initialise moyo-wasm asynchronously from a URL (browsers: the URL of `moyo_wasm_bg.wasm`, e.g. from
 * a bundler's `?url` import), bytes or a compiled WebAssembly.Module, and register the handle.
 * Node: prefer `loadMoyo()` from src/node/moyo.ts (Node's fetch cannot read file: URLs).
 */
export async function initMoyo(source, module) {
    const m = module ?? (await import('@spglib/moyo-wasm'));
    await m.default({ module_or_path: source });
    setMoyo(m);
    return m;
}
/** Synchronous initialisation of the moyo-wasm module `lib` from bytes or a compiled module (any environment). */
export function initMoyoSync(module, lib) {
    lib.initSync({ module });
    setMoyo(lib);
    return lib;
}
/** Turn whatever moyo threw (usually a plain string) into a SymmetryError with context. */
export function moyoError(context, e) {
    const msg = typeof e === 'string' ? e : e instanceof Error ? e.message : String(e);
    return new SymmetryError(`${context}: ${msg}`, { cause: e });
}
