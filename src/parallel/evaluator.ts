// The worker side of the pool (isomorphic): one kernel module and one engine per worker, built from a
// CalculatorSpec; computes the chunks of configurations it is sent and posts the results back
// (force and stress arrays transferred, not copied). Entry points: src/parallel/browser-worker.ts
// (Web Workers) and src/node/worker-thread.ts (Node worker_threads).
import { CalculatorError, type Calculator } from '../calculators/calculator.js';
import { Kernels, type WasmSource } from '../wasm/kernels.js';
import { createCalculator, structureFromData, type CalculatorSpec, type StructureData } from './spec.js';
import './kinds.js';

/** The kernel module as a worker receives it: a compiled module, its bytes, or a URL to fetch. */
export type WasmInput = WebAssembly.Module | ArrayBuffer | string;

export type ToWorker =
  | { type: 'init'; wasm: WasmInput; spec: CalculatorSpec }
  | { type: 'compute'; id: number; structures: StructureData[]; stress: boolean };

export interface WireResult {
  energy: number;
  forces: Float64Array;
  stress?: Float64Array;
  /** The engine's per-configuration info (plain data, e.g. the MLIP extrapolation grade). */
  info?: Record<string, unknown>;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; results: WireResult[] }
  | { type: 'error'; id: number | null; name: string; message: string; index?: number };

/** The two sides of a message channel that a worker sees. */
export interface Endpoint {
  postMessage(msg: FromWorker, transfer?: Transferable[]): void;
  onMessage(handler: (msg: ToWorker) => void): void;
}

export async function kernelsFrom(wasm: WasmInput): Promise<Kernels> {
  if (typeof wasm === 'string') return Kernels.fromUrl(wasm);
  return Kernels.instantiate(wasm as WasmSource);
}

/** Serve pool requests on `ep` until the worker is terminated. Requests are handled one at a time, in order. */
export function serveEvaluator(ep: Endpoint): void {
  let calc: Promise<Calculator> | null = null;
  let queue: Promise<void> = Promise.resolve();
  const fail = (id: number | null, e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    ep.postMessage({ type: 'error', id, name: err.name, message: err.message, index: e instanceof CalculatorError ? e.index : undefined });
  };
  ep.onMessage((msg) => {
    queue = queue.then(async () => {
      if (msg.type === 'init') {
        calc = kernelsFrom(msg.wasm).then((k) => createCalculator(k, msg.spec, { independent: true }));
        try {
          await calc;
          ep.postMessage({ type: 'ready' });
        } catch (e) {
          fail(null, e);
        }
        return;
      }
      if (msg.type === 'compute') {
        try {
          if (!calc) throw new Error('worker: compute before init');
          const c = await calc;
          const out = await c.compute(msg.structures.map(structureFromData), { stress: msg.stress });
          // copies own their buffers (an engine may return views into shared or WebAssembly memory)
          const results: WireResult[] = out.map((r) => ({
            energy: r.energy,
            forces: Float64Array.from(r.forces),
            stress: r.stress && Float64Array.from(r.stress),
            ...(r.info ? { info: r.info } : {}),
          }));
          const transfer: Transferable[] = [];
          for (const r of results) {
            transfer.push(r.forces.buffer);
            if (r.stress) transfer.push(r.stress.buffer);
          }
          ep.postMessage({ type: 'result', id: msg.id, results }, transfer);
        } catch (e) {
          fail(msg.id, e);
        }
      }
    });
  });
}
