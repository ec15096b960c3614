// The page's compute thread: a module Web Worker that loads the kernels and moyo, runs the pipeline
// (src/web/pipeline.ts) and evaluates configurations on a pool of nested evaluation workers
// (src/parallel/), so the page stays responsive. No bare specifiers are imported (workers have no
// import maps): moyo's ES module is imported by the URL the page passes.
import { initMoyo, type MoyoModule } from '../symmetry/moyo.js';
import { Kernels } from '../wasm/kernels.js';
import { ParallelCalculator, browserWorker } from '../parallel/pool.js';
import { calculatorKinds, type CalculatorSpec } from '../parallel/spec.js';
import '../parallel/kinds.js';
import { readInputStructure, runHarmonicJob, runSschaJob, type HarmonicInputs, type JobProgress, type PipelineHost, type SschaInputs, type StructureInput } from './pipeline.js';
import { analyzeSymmetry } from '../symmetry/analyze.js';
import { standardBandPath } from '../phonons/band-path.js';
import { structureToData } from '../parallel/spec.js';

/** Where the page's binary assets are (absolute URLs, resolved by the page relative to its modules). */
export interface WebAssets {
  kernels: string;
  moyoJs: string;
  moyoWasm: string;
  /** onnxruntime-web's ES module (for .onnx potentials; imported by URL in the evaluation workers). */
  onnxRuntime?: string;
}

export type ToDriver =
  | { type: 'init'; assets: WebAssets }
  | { type: 'inspect'; id: number; structure: StructureInput }
  | { type: 'run'; id: number; job: 'harmonic'; inputs: HarmonicInputs; threads: number }
  | { type: 'run'; id: number; job: 'sscha'; inputs: SschaInputs; threads: number };

export type FromDriver =
  | { type: 'ready'; kinds: string[]; crossOriginIsolated: boolean }
  | { type: 'init-failed'; message: string }
  | { type: 'inspected'; id: number; info?: unknown; error?: string }
  | { type: 'progress'; id: number; progress: JobProgress }
  | { type: 'done'; id: number; job: string; result: unknown; ms: number; threads: number }
  | { type: 'failed'; id: number; message: string };

const scope = self as unknown as {
  postMessage(msg: FromDriver): void;
  addEventListener(type: 'message', handler: (e: MessageEvent<ToDriver>) => void): void;
  crossOriginIsolated?: boolean;
};
const post = (m: FromDriver) => scope.postMessage(m);

let kernels: Kernels | null = null;
let onnxRuntime: string | undefined;
let module: WebAssembly.Module | null = null;
const evaluatorUrl = new URL('../parallel/browser-worker.js', import.meta.url);

/** One line for people: the first line of the message, without the stack. */
const oneLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

async function init(assets: WebAssets): Promise<void> {
  onnxRuntime = assets.onnxRuntime;
  const res = await fetch(assets.kernels);
  if (!res.ok) throw new Error(`could not fetch ${assets.kernels}: HTTP ${res.status}`);
  module = await WebAssembly.compile(await res.arrayBuffer());
  kernels = await Kernels.instantiate(module);
  const moyo = (await import(assets.moyoJs)) as MoyoModule;
  await initMoyo(assets.moyoWasm, moyo);
}

function host(id: number, threads: number): PipelineHost {
  return {
    kernels: kernels!,
    calculator: (given: CalculatorSpec) => {
      // workers have no import maps: an ONNX engine imports onnxruntime-web by URL
      const spec = given.kind === 'onnx' && given.ortModule === undefined && onnxRuntime ? { ...given, ortModule: onnxRuntime } : given;
      return threads > 0
        ? ParallelCalculator.create({ spec, threads, wasm: module!, spawn: () => browserWorker(new Worker(evaluatorUrl, { type: 'module' })) })
        : ParallelCalculator.create({ spec, threads: 0, kernels: kernels! });
    },
    onProgress: (progress) => post({ type: 'progress', id, progress }),
  };
}

let ready: Promise<void> | null = null;

scope.addEventListener('message', (e) => {
  const msg = e.data;
  if (msg.type === 'init') {
    ready = init(msg.assets);
    ready.then(
      () => post({ type: 'ready', kinds: calculatorKinds(), crossOriginIsolated: !!scope.crossOriginIsolated }),
      (err) => post({ type: 'init-failed', message: oneLine(err) }),
    );
    return;
  }
  void (async () => {
    await ready;
    if (msg.type === 'inspect') {
      try {
        const s = readInputStructure(msg.structure);
        const ds = analyzeSymmetry(s);
        const path = standardBandPath(s, { dataset: ds });
        post({ type: 'inspected', id: msg.id, info: { formula: s.formula(), natoms: s.natoms, spaceGroup: { number: ds.number, symbol: ds.internationalShort }, lattice: path.kind, structure: structureToData(s) } });
      } catch (err) {
        post({ type: 'inspected', id: msg.id, error: oneLine(err) });
      }
      return;
    }
    if (msg.type === 'run') {
      const t0 = performance.now();
      try {
        const h = host(msg.id, msg.threads);
        const result = msg.job === 'harmonic' ? await runHarmonicJob(h, msg.inputs) : await runSschaJob(h, msg.inputs);
        post({ type: 'done', id: msg.id, job: msg.job, result, ms: performance.now() - t0, threads: msg.threads });
      } catch (err) {
        post({ type: 'failed', id: msg.id, message: oneLine(err) });
      }
    }
  })();
});
