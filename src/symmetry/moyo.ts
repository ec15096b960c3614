// Access to the moyo symmetry finder (@spglib/moyo-wasm, a spglib-compatible finder compiled to
// WebAssembly). This module never touches the file system, so it runs in browsers too: the WASM
// module must be initialised once, either by the Node adapter (src/node/moyo.ts, `loadMoyo()`) or
// by `initMoyo(url)` here (browsers, or any environment where `fetch` or raw bytes are available).
// Functions that need moyo take an optional handle and otherwise use the registered one.
// The package is imported for its types only, and loaded on demand by initMoyo: this file must link
// where the bare specifier cannot be resolved (Web Workers have no import maps; they pass the module
// they imported by URL, see src/web/).
import type * as moyoWasm from '@spglib/moyo-wasm';

/** The moyo-wasm ES module itself (`import * as m from '@spglib/moyo-wasm'`). */
export type MoyoModule = typeof moyoWasm;

/** The part of the moyo-wasm module this toolkit uses (after initialisation). */
export type MoyoHandle = Pick<
  typeof moyoWasm,
  'analyze_cell' | 'wyckoff_positions' | 'operations_from_number' | 'hall_symbol_entry' | 'space_group_type'
>;

/** Accepted WASM sources for `initMoyo`: URL/Request/Response, bytes, or a compiled module. */
export type MoyoSource = moyoWasm.InitInput | Promise<moyoWasm.InitInput>;

export class SymmetryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SymmetryError';
  }
}

let registered: MoyoHandle | undefined;

/** Register an initialised moyo handle (done by `initMoyo` and by the Node adapter). */
export function setMoyo(handle: MoyoHandle): void {
  registered = handle;
}

/** Whether a moyo handle has been registered. */
export function hasMoyo(): boolean {
  return registered !== undefined;
}

/** The registered moyo handle; throws a SymmetryError telling how to initialise it if missing. */
export function getMoyo(handle?: MoyoHandle): MoyoHandle {
  const h = handle ?? registered;
  if (!h) {
    throw new SymmetryError(
      'moyo is not initialised: call loadMoyo() from src/node/moyo.ts (Node) or await initMoyo(wasmUrl) (browser) first',
    );
  }
  return h;
}

/**
 * Initialise moyo-wasm asynchronously from a URL (browsers: the URL of `moyo_wasm_bg.wasm`, e.g. from
 * a bundler's `?url` import), bytes or a compiled WebAssembly.Module, and register the handle.
 * Node: prefer `loadMoyo()` from src/node/moyo.ts (Node's fetch cannot read file: URLs).
 */
export async function initMoyo(source: MoyoSource, module?: MoyoModule): Promise<MoyoHandle> {
  const m = module ?? ((await import('@spglib/moyo-wasm')) as MoyoModule);
  await m.default({ module_or_path: source });
  setMoyo(m);
  return m;
}

/** Synchronous initialisation of the moyo-wasm module `lib` from bytes or a compiled module (any environment). */
export function initMoyoSync(module: BufferSource | WebAssembly.Module, lib: MoyoModule): MoyoHandle {
  lib.initSync({ module });
  setMoyo(lib);
  return lib;
}

/** Turn whatever moyo threw (usually a plain string) into a SymmetryError with context. */
export function moyoError(context: string, e: unknown): SymmetryError {
  const msg = typeof e === 'string' ? e : e instanceof Error ? e.message : String(e);
  return new SymmetryError(`${context}: ${msg}`, { cause: e });
}
